"""Full-text search latency in PostgreSQL: weighted tsvector (title A, abstract B) + GIN.
Modes: and = websearch_to_tsquery (every term must match); or = the same terms joined by '|'
(BM25-like "any term may match"); and_or = AND first, OR when AND finds fewer than 10.
Each: ts_rank_cd(search_text, q) ORDER BY rank DESC LIMIT 10. One warm-up pass, then a timed pass.
Usage: python 04_fts.py URI [--index]   (--index: build the GIN index first and time it)"""
import statistics, sys, time
import psycopg
sys.path.insert(0, __import__("os").path.dirname(__file__))
from queries import QUERIES

uri = sys.argv[1]
c = psycopg.connect(uri, autocommit=True)
if "--index" in sys.argv:
    c.execute("drop index if exists papers_search_text")
    t0 = time.perf_counter()
    c.execute("set maintenance_work_mem = '1GB'")
    c.execute("create index papers_search_text on papers using gin (search_text)")
    print(f"GIN build {time.perf_counter() - t0:.1f}s, size",
          c.execute("select pg_size_pretty(pg_relation_size('papers_search_text'))").fetchone()[0], flush=True)
    c.execute("analyze papers")

OR_Q = "(select replace(websearch_to_tsquery('english', %(q)s)::text, ' & ', ' | ')::tsquery as q) s"
SQL = {
    "and": "select pk from papers, websearch_to_tsquery('english', %(q)s) q where search_text @@ q "
           "order by ts_rank_cd(search_text, q) desc limit 10",
    "or": f"select pk from papers, {OR_Q} where search_text @@ s.q order by ts_rank_cd(search_text, s.q) desc limit 10",
}
COUNT = {"and": "select count(*) from papers where search_text @@ websearch_to_tsquery('english', %(q)s)",
         "or": f"select count(*) from papers, {OR_Q} where search_text @@ s.q"}


def run(mode, q):
    if mode == "and_or":
        r = c.execute(SQL["and"], {"q": q}).fetchall()
        return r if len(r) >= 10 else c.execute(SQL["or"], {"q": q}).fetchall()
    return c.execute(SQL[mode], {"q": q}).fetchall()


def pct(xs, p):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


c.execute("set statement_timeout = '10s'")
RANK = __import__("os").environ.get("RANK", "ts_rank_cd")
for k in SQL: SQL[k] = SQL[k].replace("ts_rank_cd", RANK)
print("rank function", RANK)
for mode in ["and", "and_or", "or"]:
    for q in QUERIES[:40]: run(mode, q)  # warm (short ones; long ones may time out)
    times = {"short": [], "long": []}
    for i, q in enumerate(QUERIES):
        t0 = time.perf_counter()
        try:
            run(mode, q)
        except psycopg.errors.QueryCanceled:
            pass  # counted as 10 s
        ms = (time.perf_counter() - t0) * 1000
        times["short" if i < 40 else "long"].append(ms)
    allt = times["short"] + times["long"]
    print(f"{mode:7s} all p50 {statistics.median(allt):7.1f} p99 {pct(allt, 99):7.1f} | short p50 {statistics.median(times['short']):7.1f} "
          f"p99 {pct(times['short'], 99):7.1f} | long p50 {statistics.median(times['long']):7.1f} max {max(times['long']):7.1f} ms", flush=True)
if "--counts" in sys.argv:
    for mode in ["and", "or"]:
        n = [c.execute(COUNT[mode], {"q": q}).fetchone()[0] for q in QUERIES]
        print(mode, "matches: short median", statistics.median(n[:40]), "max", max(n[:40]), "| long median", statistics.median(n[40:]))
