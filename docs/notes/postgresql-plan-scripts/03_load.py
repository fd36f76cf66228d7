"""Load the 74,728 real papers (+ all-MiniLM-L6-v2 vectors) from the papersift SQLite library
/tmp/loadtest/arxiv75k.db (built from /work/shared/data/arxiv/*.jsonl.gz) into PostgreSQL,
plus generated variants up to --n rows, with COPY (psycopg 3, binary, pgvector adapter).

Variant j>0 of paper r: title = the title's words with one random word dropped and two swapped;
abstract = the abstract's sentences shuffled, one dropped, one sentence of another random paper
appended; published = the original date shifted by up to +-200 days; vector = the real vector
plus Gaussian noise of norm 0.6 (cosine ~0.86 to the original), renormalised.
Usage: python 03_load.py URI DBNAME N
"""
import json, random, re, sqlite3, sys, time
from datetime import date, timedelta
import numpy as np, psycopg
from pgvector.psycopg import register_vector

uri, dbname, N = sys.argv[1], sys.argv[2], int(sys.argv[3])
with psycopg.connect(uri, autocommit=True) as c:
    c.execute(f"drop database if exists {dbname}"); c.execute(f"create database {dbname}")
db = uri.rsplit("/", 1)[0] + "/" + dbname
src = sqlite3.connect("file:/tmp/loadtest/arxiv75k.db?mode=ro", uri=True)
rows = src.execute("select p.pk, p.title, p.abstract, p.authors, p.categories, p.published, e.vector "
                   "from papers p join embeddings e on e.pk = p.pk order by p.pk").fetchall()
R = len(rows)
vecs = np.frombuffer(b"".join(r[6] for r in rows), dtype=np.float32).reshape(R, 384)
sentences = [re.split(r"(?<=[.!?])\s+", r[2]) for r in rows]
rng = random.Random(7); nrng = np.random.default_rng(7)

conn = psycopg.connect(db, autocommit=True)
conn.execute("create extension vector")
register_vector(conn)
conn.execute("""
create table papers (
  pk bigint primary key, id text not null unique, title text not null, abstract text not null,
  authors jsonb not null, categories text[] not null, published date,
  search_text tsvector generated always as (
    setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', abstract), 'B')) stored)""")
conn.execute("create table embeddings (model text not null, pk bigint not null, vector vector(384) not null, primary key (model, pk))")

def variants():
    for i in range(N):
        r, j = i % R, i // R
        pk, title, abstract, authors, cats, pub, _ = rows[r]
        if j:
            w = title.split()
            if len(w) > 3:
                w.pop(rng.randrange(len(w))); a, b = rng.randrange(len(w)), rng.randrange(len(w)); w[a], w[b] = w[b], w[a]
            title = " ".join(w)
            s = sentences[r][:]; rng.shuffle(s)
            if len(s) > 2: s.pop()
            s.append(rng.choice(sentences[rng.randrange(R)]))
            abstract = " ".join(s)
            if pub: pub = (date.fromisoformat(pub) + timedelta(days=rng.randint(-200, 200))).isoformat()
        yield i + 1, f"{rows[r][0]}v{j}" if j else str(pk), title, abstract, authors, json.loads(cats), pub

t0 = time.perf_counter()
with conn.cursor() as cur, cur.copy("copy papers (pk, id, title, abstract, authors, categories, published) from stdin") as cp:
    for rec in variants():
        cp.write_row(rec)
t_papers = time.perf_counter() - t0
print(f"COPY papers (with generated tsvector) {N} rows: {t_papers:.1f}s = {N / t_papers:,.0f} rows/s", flush=True)

t0 = time.perf_counter()
with conn.cursor() as cur, cur.copy("copy embeddings (model, pk, vector) from stdin with (format binary)") as cp:
    cp.set_types(["text", "int8", "vector"])
    for start in range(0, N, 50_000):
        idx = np.arange(start, min(N, start + 50_000))
        v = vecs[idx % R].copy()
        noisy = idx >= R
        if noisy.any():
            g = nrng.standard_normal((int(noisy.sum()), 384)).astype(np.float32)
            g *= 0.6 / np.linalg.norm(g, axis=1, keepdims=True)
            v[noisy] += g
            v /= np.linalg.norm(v, axis=1, keepdims=True)
        for k, i in enumerate(idx):
            cp.write_row(("minilm", int(i) + 1, v[k]))
t_vec = time.perf_counter() - t0
print(f"COPY embeddings binary {N} rows: {t_vec:.1f}s = {N / t_vec:,.0f} rows/s", flush=True)
conn.execute("vacuum analyze")
for q in ["select pg_size_pretty(pg_total_relation_size('papers'))", "select pg_size_pretty(pg_total_relation_size('embeddings'))"]:
    print(q, conn.execute(q).fetchone()[0])
