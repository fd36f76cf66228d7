"""papersift's in-memory BM25F KeywordIndex (src/papersift/search/keyword.py) fed from PostgreSQL
rows through a server-side cursor: build time, memory (RSS growth, saved size) and query latency
over the 50 queries. Imports papersift.search.* from /work/main/src without running the package
__init__ (which would import the whole Library and its dependencies).
Usage: python 06_bm25f.py URI"""
import gc, json, os, resource, statistics, sys, tempfile, time, types
from pathlib import Path
pkg = types.ModuleType("papersift"); pkg.__path__ = ["/work/main/src/papersift"]; sys.modules["papersift"] = pkg
from papersift.search.keyword import KeywordIndex, IndexedPaper
from papersift.search.query import parse_query
import psycopg
sys.path.insert(0, os.path.dirname(__file__))
from queries import QUERIES

def rss_mb():
    return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

uri = sys.argv[1]
conn = psycopg.connect(uri)
before = rss_mb(); t0 = time.perf_counter()
index = KeywordIndex()
with conn.cursor(name="papers") as cur:  # server-side cursor: rows stream, 10k at a time
    cur.itersize = 10_000
    cur.execute("select pk, title, abstract, authors, categories, published from papers order by pk")
    n = index.add(IndexedPaper(pk, t, a, [x for x in au], cats, pub) for pk, t, a, au, cats, pub in cur)
t_build = time.perf_counter() - t0
index.search(parse_query("warm up"), limit=10)  # builds the impacts matrix
t_ready = time.perf_counter() - t0
gc.collect()
print(f"indexed {n} papers: add {t_build:.1f}s, ready (impacts) {t_ready:.1f}s, RSS +{rss_mb() - before:.0f} MB "
      f"(peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)", flush=True)
with tempfile.TemporaryDirectory(dir="/tmp/pgresearch") as d:
    t0 = time.perf_counter(); index.save(Path(d) / "kw"); t_save = time.perf_counter() - t0
    size = sum(f.stat().st_size for f in Path(d).rglob("*") if f.is_file())
    t0 = time.perf_counter(); KeywordIndex.load(Path(d) / "kw"); t_load = time.perf_counter() - t0
print(f"save {t_save:.1f}s ({size / 2**20:.0f} MB on disk), load {t_load:.1f}s", flush=True)

def pct(xs, p):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]
for q in QUERIES: index.search(parse_query(q), limit=10)
times = []
for q in QUERIES:
    t0 = time.perf_counter(); m = index.search(parse_query(q), limit=10); times.append((time.perf_counter() - t0) * 1000)
s, l = times[:40], times[40:]
print(f"BM25F (any term, OR semantics) all p50 {statistics.median(times):.1f} p99 {pct(times, 99):.1f} | short p50 {statistics.median(s):.1f} "
      f"p99 {pct(s, 99):.1f} | long p50 {statistics.median(l):.1f} max {max(l):.1f} ms")
# what the Library would then do: fetch the 10 rows for display from PostgreSQL
m = index.search(parse_query(QUERIES[0]), limit=10)
t = []
for _ in range(50):
    t0 = time.perf_counter(); conn.execute("select pk, id, title, abstract, authors from papers where pk = any(%s)", (m.pks,)).fetchall(); t.append((time.perf_counter() - t0) * 1000)
print(f"fetch 10 result rows by pk: p50 {statistics.median(t):.2f} ms")
m = index.search(parse_query(QUERIES[0]), limit=10)
print("sanity:", QUERIES[0], "total matches", m.total, "top titles:",
      [r[0][:50] for r in conn.execute("select title from papers where pk = any(%s)", (m.pks[:3],)).fetchall()])
