"""pgvector HNSW: build time and size, top-10 latency and recall@10 vs exact at several
ef_search, and filtered queries (published date / category) with and without iterative scan.
Queries: 200 real vectors of papers (self excluded from results? no: kept in both exact and ANN,
so the paper itself is the top-1 of both), plus noise of norm 0.3 so they are not stored points.
Usage: python 05_hnsw.py URI [--build] [--m 16] [--efc 64] [--workers 1] [--nq 200]"""
import argparse, statistics, time
import numpy as np, psycopg
from pgvector.psycopg import register_vector

ap = argparse.ArgumentParser()
ap.add_argument("uri"); ap.add_argument("--build", action="store_true")
ap.add_argument("--m", type=int, default=16); ap.add_argument("--efc", type=int, default=64)
ap.add_argument("--workers", type=int, default=1); ap.add_argument("--nq", type=int, default=200)
ap.add_argument("--queries", choices=["near", "mid", "text"], default="near",
                help="near: a paper's vector + noise 0.3; mid: the normalised midpoint of two random papers' vectors "
                     "(its neighbours are not one paper's pack of generated variants); text: the 50 benchmark queries "
                     "embedded by papersift (11_embed_queries.py -> /tmp/pgresearch/query_vectors.npy)")
a = ap.parse_args()
c = psycopg.connect(a.uri, autocommit=True); register_vector(c)
if a.build:
    c.execute("drop index if exists embeddings_hnsw")
    c.execute("set maintenance_work_mem = '4GB'")
    c.execute(f"set max_parallel_maintenance_workers = {a.workers}")
    t0 = time.perf_counter()
    c.execute(f"create index embeddings_hnsw on embeddings using hnsw (vector vector_cosine_ops) with (m = {a.m}, ef_construction = {a.efc})")
    print(f"HNSW m={a.m} efc={a.efc} workers={a.workers}: build {time.perf_counter() - t0:.1f}s, size",
          c.execute("select pg_size_pretty(pg_relation_size('embeddings_hnsw'))").fetchone()[0], flush=True)

n = c.execute("select count(*) from embeddings").fetchone()[0]
rng = np.random.default_rng(3)
pks = rng.choice(np.arange(1, n + 1), a.nq, replace=False)
base = [c.execute("select vector from embeddings where model='minilm' and pk=%s", (int(p),)).fetchone()[0] for p in pks]
Q = []
if a.queries == "mid":
    others = [c.execute("select vector from embeddings where model='minilm' and pk=%s", (int(p),)).fetchone()[0]
              for p in rng.choice(np.arange(1, n + 1), a.nq, replace=False)]
    for v, w in zip(base, others):
        q = v.to_numpy() + w.to_numpy(); Q.append(q / np.linalg.norm(q))
if a.queries == "text":
    Q = list(np.load("/tmp/pgresearch/query_vectors.npy"))
for v in ([] if a.queries != "near" else base):
    g = rng.standard_normal(384).astype(np.float32); g *= 0.3 / np.linalg.norm(g)
    q = v.to_numpy() + g; Q.append(q / np.linalg.norm(q))

ANN = "select pk from embeddings where model = 'minilm' order by vector <=> %s limit 10"
def exact(q, sql=ANN):
    with c.transaction():
        c.execute("set local enable_indexscan = off"); c.execute("set local enable_bitmapscan = off")
        return [r[0] for r in c.execute("/* exact */ " + sql, (q,), prepare=False).fetchall()]  # a cached plan would keep the seq scan
t0 = time.perf_counter(); truth = [exact(q) for q in Q[:50]]
print(f"exact scan: {(time.perf_counter() - t0) / 50 * 1000:.0f} ms/query (n={n})", flush=True)
truth += [exact(q) for q in Q[50:]]

def pct(xs, p):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]
EFS = [int(x) for x in __import__("os").environ.get("EFS", "40,100,200").split(",")]
for ef in EFS:
    c.execute(f"set hnsw.ef_search = {ef}")
    for q in Q[:20]: c.execute(ANN, (q,)).fetchall()
    times, rec = [], []
    for q, t in zip(Q, truth):
        t0 = time.perf_counter(); got = [r[0] for r in c.execute(ANN, (q,)).fetchall()]; times.append((time.perf_counter() - t0) * 1000)
        rec.append(len(set(got) & set(t)) / 10)
    print(f"ef_search={ef:3d}: p50 {statistics.median(times):.2f} ms p99 {pct(times, 99):.2f} ms recall@10 {np.mean(rec):.3f}", flush=True)

# filtered: papers in one category (cs.CR, ~4%?) and published in a 3-month window
if __import__("os").environ.get("NOFILTER"): raise SystemExit
FILTERS = {
    "category cs.CR": "p.categories[1] = 'cs.CR'",
    "published 2025-06..08": "p.published between '2025-06-01' and '2025-08-31'",
}
c.execute("set hnsw.ef_search = 100")
for name, where in FILTERS.items():
    frac = c.execute(f"select avg(({where})::int) from papers p").fetchone()[0]
    sql = f"select e.pk from embeddings e join papers p on p.pk = e.pk where e.model = 'minilm' and {where} order by e.vector <=> %s limit 10"
    ftruth = [exact(q, sql) for q in Q[:50]]
    for mode in ("off", "relaxed_order", "strict_order"):
        try:
            c.execute(f"set hnsw.iterative_scan = {mode}")
        except psycopg.Error as e:
            print("iterative_scan unsupported:", e.diag.message_primary); break
        times, rec, short = [], [], 0
        for q, t in zip(Q[:50], ftruth):
            t0 = time.perf_counter(); got = [r[0] for r in c.execute(sql, (q,)).fetchall()]; times.append((time.perf_counter() - t0) * 1000)
            rec.append(len(set(got) & set(t)) / max(1, len(t))); short += len(got) < 10
        print(f"filter {name} ({float(frac):.1%} of rows) iterative_scan={mode}: p50 {statistics.median(times):.2f} ms "
              f"p99 {pct(times, 99):.2f} ms recall@10 {np.mean(rec):.3f} queries with <10 results {short}/50", flush=True)
    c.execute("set hnsw.iterative_scan = off")
