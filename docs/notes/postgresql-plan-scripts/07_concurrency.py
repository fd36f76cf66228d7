"""Exactly-once digests and a SKIP LOCKED outbox, with 8 concurrent processes.
A) INSERT ... ON CONFLICT DO NOTHING RETURNING on the digests primary key: only the process whose
   insert returns a row builds and sends; the others see no row and move on. No advisory lock needed.
B) pg_try_advisory_xact_lock(hash) as an alternative decision: same effect, but only while the
   transaction lives: the row is still what makes a rerun safe.
C) outbox: workers claim 'sending' rows with FOR UPDATE SKIP LOCKED, mark them 'sent'.
Usage: python 07_concurrency.py URI"""
import multiprocessing as mp, sys, time
import psycopg

uri = sys.argv[1]

def setup():
    with psycopg.connect(uri, autocommit=True) as c:
        c.execute("drop table if exists digests")
        c.execute("""create table digests (user_id bigint, frequency text, period text, status text not null,
                     worker int, sent_by int, primary key (user_id, frequency, period))""")

def decide(worker, users, out):
    won = 0
    with psycopg.connect(uri, autocommit=True) as c:
        for u in range(users):
            r = c.execute("insert into digests values (%s, 'daily', '2026-11-21', 'sending', %s, null) "
                          "on conflict do nothing returning user_id", (u, worker)).fetchone()
            won += r is not None
    out.put(won)

def decide_advisory(worker, users, out):
    won = 0
    with psycopg.connect(uri) as c:
        for u in range(users):
            with c.transaction():
                if c.execute("select pg_try_advisory_xact_lock(hashtext(%s))", (f"{u}/daily/2026-11-22",)).fetchone()[0]:
                    if not c.execute("select 1 from digests where user_id=%s and period='2026-11-22'", (u,)).fetchone():
                        c.execute("insert into digests values (%s, 'daily', '2026-11-22', 'sending', %s, null)", (u, worker)); won += 1
    out.put(won)

def drain(worker, out):
    sent = 0
    with psycopg.connect(uri) as c:
        while True:
            with c.transaction():
                rows = c.execute("select user_id, period from digests where status = 'sending' order by user_id "
                                 "limit 10 for update skip locked").fetchall()
                if not rows:
                    break
                time.sleep(0.002)  # "talk to the SMTP server"
                c.execute("update digests set status='sent', sent_by=%s where (user_id, period) in (select * from unnest(%s::bigint[], %s::text[]))",
                          (worker, [r[0] for r in rows], [r[1] for r in rows]))
                sent += len(rows)
    out.put(sent)

if __name__ == "__main__":
    setup(); USERS, P = 2000, 8
    for name, fn, args in [("ON CONFLICT DO NOTHING RETURNING", decide, (USERS,)),
                           ("advisory xact lock + check", decide_advisory, (USERS,)), ("SKIP LOCKED outbox", drain, ())]:
        q = mp.Queue(); t0 = time.perf_counter()
        ps = [mp.Process(target=fn, args=(w, *args, q)) for w in range(P)]
        [p.start() for p in ps]; [p.join() for p in ps]
        counts = [q.get() for _ in ps]
        print(f"{name}: {P} processes, per-process {counts}, total {sum(counts)} in {time.perf_counter() - t0:.1f}s")
    with psycopg.connect(uri) as c:
        print("rows", c.execute("select period, status, count(*), count(distinct user_id) from digests group by 1, 2 order by 1").fetchall())
