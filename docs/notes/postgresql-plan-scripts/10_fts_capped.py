"""Rank-limited PostgreSQL full text: rank only the first CAP rows the GIN index returns
(arbitrary physical order, not the best) and report latency and overlap@10 with the uncapped
ranking. Shows what bounding the ts_rank work costs in quality. Usage: python 10_fts_capped.py URI"""
import statistics, sys, os, time
import psycopg
sys.path.insert(0, os.path.dirname(__file__))
from queries import QUERIES
c = psycopg.connect(sys.argv[1], autocommit=True)
c.execute("set statement_timeout = '20s'")
Q = {"and": "websearch_to_tsquery('english', %(q)s)",
     "or": "replace(websearch_to_tsquery('english', %(q)s)::text, ' & ', ' | ')::tsquery"}
FULL = "select pk from papers, (select {q} as q) s where search_text @@ s.q order by ts_rank(search_text, s.q) desc, pk limit 10"
CAP = ("select pk from (select pk, search_text, s.q from papers, (select {q} as q) s where search_text @@ s.q limit {cap}) m "
       "order by ts_rank(search_text, q) desc, pk limit 10")
def pct(xs, p):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]
truth = [set(r[0] for r in c.execute(FULL.format(q=Q["and"]), {"q": q}).fetchall()) for q in QUERIES[:40]]
for mode in ("and", "or"):
    for cap in (500, 2000):
        sql = CAP.format(q=Q[mode], cap=cap)
        for q in QUERIES: c.execute(sql, {"q": q}).fetchall()
        times, overlap = [], []
        for i, q in enumerate(QUERIES):
            t0 = time.perf_counter(); got = {r[0] for r in c.execute(sql, {"q": q}).fetchall()}; times.append((time.perf_counter() - t0) * 1000)
            if i < 40 and truth[i]:
                overlap.append(len(got & truth[i]) / len(truth[i]))
        print(f"{mode} cap {cap}: all p50 {statistics.median(times):.1f} p99 {pct(times, 99):.1f} | short p50 {statistics.median(times[:40]):.1f} "
              f"| long p50 {statistics.median(times[40:]):.1f} ms | overlap@10 with full AND ranking (short) {statistics.mean(overlap):.2f}", flush=True)
