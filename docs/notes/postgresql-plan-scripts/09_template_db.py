"""Per-test databases: CREATE DATABASE ... TEMPLATE (a template with the schema and extension
already made) versus creating the schema in an empty database. Usage: python 09_template_db.py URI"""
import statistics, sys, time
import psycopg
uri = sys.argv[1]
c = psycopg.connect(uri, autocommit=True)
SCHEMA = open("/work/main/src/papersift/store/migrations/sqlite_0001_papers.sql").read()
c.execute("drop database if exists tmpl"); c.execute("create database tmpl")
with psycopg.connect(uri.rsplit("/", 1)[0] + "/tmpl", autocommit=True) as t:
    t.execute("create extension vector")
    for stmt in ["create table papers (pk bigint generated always as identity primary key, id text unique, title text, "
                 "search_text tsvector generated always as (to_tsvector('english', title)) stored)",
                 "create index on papers using gin (search_text)",
                 "create table embeddings (model text, pk bigint, vector vector(384), primary key (model, pk))",
                 "create index on embeddings using hnsw (vector vector_cosine_ops)"] + [f"create table t{i} (a int primary key, b text)" for i in range(20)]:
        t.execute(stmt)
ts, te = [], []
for i in range(10):
    t0 = time.perf_counter(); c.execute(f"create database t{i} template tmpl"); ts.append(time.perf_counter() - t0)
    t0 = time.perf_counter(); c.execute(f"drop database t{i}"); te.append(time.perf_counter() - t0)
print(f"create database from template: p50 {statistics.median(ts) * 1000:.0f} ms; drop p50 {statistics.median(te) * 1000:.0f} ms")
ts = []
for i in range(5):
    t0 = time.perf_counter(); c.execute(f"create schema s{i}")
    for stmt in ["create table s{i}.p (pk bigint primary key, title text, tsv tsvector generated always as (to_tsvector('english', title)) stored)",
                 "create index on s{i}.p using gin (tsv)"] + [f"create table s{{i}}.t{j} (a int primary key, b text)" for j in range(20)]:
        c.execute(stmt.format(i=i))
    ts.append(time.perf_counter() - t0); c.execute(f"drop schema s{i} cascade")
print(f"create schema + 22 tables in place: p50 {statistics.median(ts) * 1000:.0f} ms")
