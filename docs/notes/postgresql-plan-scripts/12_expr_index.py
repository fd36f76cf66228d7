"""Several models in one embeddings table: an untyped `vector` column, one partial HNSW index per
model on an expression with the model's dimension. Does the planner use it? And psycopg's rowcount
after INSERT ... ON CONFLICT DO NOTHING. Usage: python 12_expr_index.py URI"""
import sys
import numpy as np, psycopg
from pgvector.psycopg import register_vector
c = psycopg.connect(sys.argv[1], autocommit=True)
c.execute("drop database if exists expr"); c.execute("create database expr")
c = psycopg.connect(sys.argv[1].rsplit("/", 1)[0] + "/expr", autocommit=True)
c.execute("create extension vector"); register_vector(c)
c.execute("create table embeddings (model text, pk bigint, vector vector not null, primary key (model, pk))")
rng = np.random.default_rng(1)
with c.cursor().copy("copy embeddings from stdin with (format binary)") as cp:
    cp.set_types(["text", "int8", "vector"])
    for i in range(5000):
        cp.write_row(("small", i, rng.standard_normal(384).astype(np.float32)))
        cp.write_row(("large", i, rng.standard_normal(768).astype(np.float32)))
c.execute("create index emb_small on embeddings using hnsw ((vector::vector(384)) vector_cosine_ops) where model = 'small'")
c.execute("create index emb_large on embeddings using hnsw ((vector::vector(768)) vector_cosine_ops) where model = 'large'")
c.execute("analyze embeddings")
q = rng.standard_normal(384).astype(np.float32)
plan = c.execute("explain select pk from embeddings where model = 'small' order by vector::vector(384) <=> %s limit 10", (q,)).fetchall()
print("\n".join(r[0][:110] for r in plan))
print("rows", len(c.execute("select pk from embeddings where model = 'small' order by vector::vector(384) <=> %s limit 10", (q,)).fetchall()))
c.execute("create table d (k int primary key)")
cur = c.execute("insert into d values (1) on conflict do nothing"); print("first insert rowcount", cur.rowcount)
cur = c.execute("insert into d values (1) on conflict do nothing"); print("second insert rowcount", cur.rowcount)
