"""Load-test the web app: requests/s and latency of the pages and the search API under a load generator.

Why: issue 4's load bar. Over the 74,728 papers of the arXiv crawl, on this 2-core machine and on
loopback, the search endpoint must sustain >= 200 requests/s with p99 <= 100 ms and no errors, and
the home page >= 300 requests/s. This script starts `papersift serve` as a subprocess on a free
loopback port (`--workers 1`, then `--workers 2`), waits until every worker answers, and drives it
with wrk (C, one epoll loop per thread: the lightest generator that installs here, `apt install
wrk`) or, without wrk, locust in headless mode (`pip install -e .[bench]`). Each endpoint gets:

  warm-up     a few seconds, not counted
  max         closed loop: --connections clients each send their next request as soon as the
              last one returned; the requests/s is what the server can do at that concurrency
  paced       open loop at the target rate (300/s for the home page, 200/s otherwise): requests
              are sent on a fixed schedule whatever the answers; latency is counted from when a
              request was due, so a server that falls behind shows it (no coordinated omission)

Endpoints: the home page `/`; HTML search `/search?q=` and JSON search `/api/search?q=`, each in
hybrid (the default) and keyword mode; the paper page `/papers/{id}` (which also finds similar
papers). Paper pages are 1,000 random papers, the same list for warm-up, max and paced runs.

Searches the server has not seen. The server keeps the vectors of the last 1,024 queries it
embedded (an LRU per worker process), so a benchmark cycling through a small list of queries would
measure cache hits, not searches. Queries here are bench_search.py's generator
(`make_queries(papers, SEED + s)` for s = 0, 1, 2, ... until there are enough), cut at the 2,000
characters the app accepts, deduplicated and shuffled; every search endpoint and every mix gets
its own three disjoint lists: 1,000 for its warm-up, 5,000 for its max run, 5,000 for its paced
run. No query is sent by two endpoints, two mixes or two phases, and within a run each connection
walks its own stride of the list (connection c of C sends queries c, c + C, c + 2C, ...), so a
query comes back only once a run has sent the whole list: by then the thousands of queries since
have pushed it out of the cache. The paced run (200/s for 20 s) sends 4,000 of its 5,000; a max
run faster than 250/s goes round its list, which the per-run line reports.

Query mixes (--mix, both by default), each run as its own row, `[web]` or `[stress]`:

  web     titles, authors and topics as bench_search.py makes them, with its 150-300-word
          paragraphs kept to 5% of the queries: a search box's traffic is mostly a few words,
          and pasting an abstract ("papers like this text") is the rare case. This share is our
          assumption, not measured from a query log (papersift has none yet).
  stress  bench_search.py's mix as it is: per seed 80 title, 40 author, 40 topic and 40 paragraph
          queries, so 20% are paragraphs, which cost the most to embed (about 6 times a short
          query's CPU): the worst plausible traffic.

--kinds keeps only some kinds of query within each mix. The home and paper pages run once, not
per mix (they take no query).

The load generator runs on the same 2 cores as the server, so the CPU used by the server, by the
generator and by everything else is measured over each run (cores = CPU seconds / wall seconds)
and printed: a generator eating a core would make the server look slower than it is, and another
busy process on the machine makes the figures worthless (the script warns).

The bar is judged on `/api/search` (hybrid and keyword) and on HTML search, in each mix: ok when
the max run reaches the rate, the paced run keeps up with it (>= 97%), its p99 is <= 100 ms, and
neither run has an error; the home page needs the rate and no error.

Run:   .venv/bin/python bench/bench_web_load.py [--db PATH | --cache DIR] [--data PATH]
           [--workers 1 2] [--duration 20] [--endpoints home api-hybrid ...] [--quick]
           [--mix web stress] [--kinds title author topic paragraph] [--generator wrk|locust]
           [--wait-quiet SECONDS] [--json PATH] [--keep-logs DIR]
       --db: a database of the crawl with its embeddings (the server opens it; nothing is
       written but the keyword index beside it, if stale). Without --db it is built in --cache
       as bench_semantic.py does (about 20 minutes on 2 cores, once). --quick: a smoke test, no
       verdict: without --db, a library of 40 embedded demo papers in a temporary folder; the
       home page and hybrid /api/search ([web] mix) on 1 worker, 2-second runs, 1-second
       warm-ups, query lists of 20 / 60 / 60 (with --db: 5-second runs, the rest as asked).
       --wait-quiet: on a shared machine, wait before each run until other processes are idle.
       The whole run (2 worker counts x (4 search endpoints x 2 mixes + 2 pages) x a 3-second
       warm-up and 2 runs of 20 s) takes about 16 minutes; making the queries (88,000 by default)
       about 5 s of it.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import _common
from _common import REPO, add_data_argument, percentile
from bench_search import KINDS

TARGET_SEARCH_RPS = 200.0
TARGET_SEARCH_P99_MS = 100.0
TARGET_HOME_RPS = 300.0
NOISY = 0.15  # cores used by other processes during a run beyond which its figures are marked "!"
KEEP_UP = 0.97  # a paced run "keeps up" when it completes this share of the requests it was due
MAX_QUERY = 2000  # characters the app accepts in `q` (pages.MAX_QUERY, api.MAX_QUERY)
MODEL = "all-MiniLM-L6-v2"

# Queries of each search endpoint in each mix, by phase: disjoint lists, each longer than what the
# server's query-vector cache holds (1,024 per worker, papersift.search.semantic.QUERY_CACHE_SIZE).
WARM_UP_QUERIES = 1000
MAX_QUERIES = 5000
PACED_QUERIES = 5000
PHASES = {"warm-up": WARM_UP_QUERIES, "max": MAX_QUERIES, "paced": PACED_QUERIES}
QUERIES_PER_ENDPOINT = sum(PHASES.values())
# The share of paragraph queries in each mix; None: as bench_search.make_queries makes them (20%).
MIXES: dict[str, float | None] = {"web": 0.05, "stress": None}

SEARCHES = {  # name: (label, path of a URL-quoted query)
    "html-hybrid": ("/search hybrid", "/search?q={}"),
    "html-keyword": ("/search keyword", "/search?q={}&mode=keyword"),
    "api-hybrid": ("/api/search hybrid", "/api/search?q={}"),
    "api-keyword": ("/api/search keyword", "/api/search?q={}&mode=keyword"),
    "hf-search": ("/api/papers/search", "/api/papers/search?q={}&limit=10"),
}
UNJUDGED = {"hf-search", "paper"}  # measured, not part of the bar
ENDPOINTS = ["home", *SEARCHES, "paper"]
DEFAULT_ENDPOINTS = ["home", "html-hybrid", "html-keyword", "api-hybrid", "api-keyword", "paper"]


@dataclass
class Endpoint:
    name: str
    label: str
    target_rps: float
    target_p99_ms: float | None  # None: no latency bar
    judged: bool  # part of the bar
    mix: str | None = None  # the query mix of a search endpoint; None for the pages
    paths: dict[str, list[str]] = field(default_factory=dict)  # by phase (PHASES)

    @property
    def key(self) -> tuple[str, str | None]:
        return self.name, self.mix


@dataclass
class QueryPool:
    queries: list[tuple[str, str]]  # (kind, query), distinct, in the order they were made
    seeds: range  # of bench_search.make_queries, from SEED


def query_pools(
    papers: list[dict[str, Any]], sizes: dict[str, int], kinds: list[str] | None = None
) -> dict[str, QueryPool]:
    """At least `sizes[mix]` distinct queries for each mix; no query is in two mixes."""
    from bench_search import common_words

    seen: set[str] = set()
    seeds = itertools.count()
    # The topic vocabulary is counted once: make_queries would recount it on each of the ~500
    # seeds of a default run (0.20 of its 0.21 s a seed over the 74,728 papers).
    common = common_words(papers)
    pools = {}
    for mix, size in sizes.items():
        pools[mix] = _pool(papers, MIXES[mix], size, kinds, seen, seeds, common)
    return pools


def _pool(
    papers: list[dict[str, Any]],
    share: float | None,
    size: int,
    kinds: list[str] | None,
    seen: set[str],
    seeds: Iterator[int],
    common: set[str],
) -> QueryPool:
    """Distinct queries not in `seen` from the next seeds, paragraphs kept to `share` of them."""
    from bench_search import SEED, make_queries

    if not any(kind != "paragraph" for kind in kinds or KINDS):
        share = None  # only paragraphs: nothing to keep them a share of
    queries: list[tuple[str, str]] = []
    others = paragraphs = barren = 0
    first = last = -1
    while len(queries) < size:
        last = next(seeds)
        first = last if first < 0 else first
        before = len(queries)
        for kind, made in make_queries(papers, SEED + last, common):
            query = _cut(made)
            if (kinds is not None and kind not in kinds) or query in seen:
                continue
            if kind == "paragraph":
                # make_queries makes the other kinds first: keep paragraphs within the share so far
                if share is not None and paragraphs + 1 > share / (1 - share) * others:
                    continue
                paragraphs += 1
            else:
                others += 1
            seen.add(query)
            queries.append((kind, query))
        barren = barren + 1 if len(queries) == before else 0
        if barren >= 20:
            sys.exit(
                f"only {len(queries):,} distinct queries of kinds {kinds} after {last - first + 1} seeds; "
                f"{size:,} needed"
            )
    return QueryPool(queries, range(first, last + 1))


def endpoints(
    papers: list[dict[str, Any]],
    names: list[str],
    mixes: list[str],
    seed: int,
    kinds: list[str] | None = None,
) -> tuple[list[Endpoint], dict[str, QueryPool]]:
    """What to run, in order: each search endpoint once per mix (adjacent), the pages once."""
    searches = [n for n in names if n in SEARCHES]
    pools = query_pools(papers, {m: len(searches) * QUERIES_PER_ENDPOINT for m in mixes}, kinds)
    shuffled = {}
    for mix, pool in pools.items():
        shuffled[mix] = [q for _, q in pool.queries]
        random.Random(seed).shuffle(shuffled[mix])
    ids = [p["id"] for p in random.Random(seed + 1).sample(papers, min(1000, len(papers)))]
    pages = {"home": ["/"], "paper": [f"/papers/{quote(i, safe='/')}" for i in ids]}
    table: list[Endpoint] = []
    for name in names:
        if name in pages:
            target = TARGET_HOME_RPS if name == "home" else TARGET_SEARCH_RPS
            label = "home /" if name == "home" else "/papers/{id}"
            lists = dict.fromkeys(PHASES, pages[name])  # one list for all phases: nothing to cache
            table.append(Endpoint(name, label, target, None, name not in UNJUDGED, None, lists))
            continue
        label, template = SEARCHES[name]
        for mix in mixes:
            offset = searches.index(name) * QUERIES_PER_ENDPOINT
            lists = {}
            for phase, size in PHASES.items():
                part = shuffled[mix][offset : offset + size]
                lists[phase] = [template.format(quote_plus(q)) for q in part]
                offset += size
            table.append(
                Endpoint(
                    name,
                    f"{label} [{mix}]",
                    TARGET_SEARCH_RPS,
                    TARGET_SEARCH_P99_MS,
                    name not in UNJUDGED,
                    mix,
                    lists,
                )
            )
    return table, pools


def _cut(query: str) -> str:
    """The query within the characters the app accepts, cut at a word."""
    if len(query) <= MAX_QUERY:
        return query
    return query[:MAX_QUERY].rsplit(" ", 1)[0]


# -- CPU accounting ---------------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a process, from /proc."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK


def tree_cpu(root: int) -> dict[int, float]:
    """CPU seconds of `root` and each of its descendants, by pid."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (found := _stat(int(entry))):
            parents[int(entry)], cpu[int(entry)] = found
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return {pid: cpu[pid] for pid in tree if pid in cpu}


def machine_busy() -> float:
    """CPU seconds spent on all cores by anything (not idle, not waiting for I/O) since boot."""
    with open("/proc/stat", encoding="ascii") as handle:
        values = [int(v) for v in handle.readline().split()[1:9]]
    return (sum(values) - values[3] - values[4]) / TICK


# -- the server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """`papersift serve` in a subprocess, its output in a log file."""

    def __init__(self, db: Path, workers: int, log: Path) -> None:
        self.port = free_port()
        self.workers = workers
        self.log = log
        self.command = [
            str(Path(sys.executable).with_name("papersift")),
            "--db",
            str(db),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(workers),
        ]
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 600) -> float:
        """Start and wait until every worker has started and the home page answers; seconds."""
        started = time.perf_counter()
        with open(self.log, "wb") as output:
            self.process = subprocess.Popen(
                self.command,
                stdout=output,
                stderr=subprocess.STDOUT,
                env={
                    **os.environ,
                    "PAPERSIFT_EMBEDDING_MODEL": os.environ.get("PAPERSIFT_EMBEDDING_MODEL", MODEL),
                },
                start_new_session=True,  # Ctrl+C on the bench does not reach it first
            )
        while time.perf_counter() - started < timeout:
            if self.process.poll() is not None:
                sys.exit(
                    f"the server exited with code {self.process.returncode}:\n{self.log.read_text()[-3000:]}"
                )
            ready = self.log.read_text(errors="replace").count("Application startup complete")
            if ready >= self.workers and self._answers():
                return time.perf_counter() - started
            time.sleep(0.5)
        self.stop()
        sys.exit(f"the server did not answer within {timeout:.0f} s; see {self.log}")

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/", timeout=30) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown, workers included
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # its own session: only what it started
            self.process.wait()


# -- the load generators ----------------------------------------------------------------------

# wrk: one connection per thread, so a thread's globals are its connection's. Each connection walks
# its own stride of the list (connection n of C sends paths n, n + C, n + 2C, ..., then goes round),
# so no two connections send the same path until the list is used up. `delay()` holds each
# request until it is due (paced runs); latency is measured here, from the send and from when
# the request was due (the later of the two never exceeds the schedule: see `request`).
WRK_SCRIPT = r"""
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local clock = ffi.new("bench_timespec")
local function now_us()
  ffi.C.clock_gettime(1, clock)  -- CLOCK_MONOTONIC
  return tonumber(clock.tv_sec) * 1000000 + tonumber(clock.tv_nsec) / 1000
end

local created = 0
local threads = {}
function setup(thread)
  created = created + 1
  thread:set("number", created)
  table.insert(threads, thread)
end

function init(args)
  local rate = tonumber(args[2])
  connections = tonumber(args[3])
  out_path = args[4]
  paths = {}
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  -- connection `number` sends paths[number], paths[number + connections], ... (see `request`)
  position = number - connections
  interval = rate > 0 and connections * 1000000 / rate or 0
  math.randomseed(number)
  next_at = now_us() + math.random() * interval  -- connections spread over the first interval
  results, count = {}, 0
end

function delay()
  if interval == 0 then return 0 end
  local wait = (next_at - now_us()) / 1000
  if wait < 0 then return 0 end
  return math.floor(wait)
end

function request()
  sent_at = now_us()
  due_at = sent_at
  if interval > 0 then
    if next_at < sent_at then due_at = next_at end  -- late: the wait counts
    next_at = next_at + interval
  end
  position = position + connections
  if position > #paths then position = (position - 1) % #paths + 1 end  -- round the list again
  return wrk.format("GET", paths[position])
end

function response(status, headers, body)
  local now = now_us()
  count = count + 1
  results[count] = string.format("%d %d %d", now - sent_at, now - due_at, status)
end

function done(summary, latency, requests)
  local out = io.open(threads[1]:get("out_path"), "w")
  for _, thread in ipairs(threads) do
    for _, line in ipairs(thread:get("results")) do out:write(line, "\n") end
  end
  local e = summary.errors
  out:write(string.format("# %d %d %d %d %d %d\n", summary.duration, e.connect, e.read, e.write,
    e.status, e.timeout))
  out:close()
end
"""

LOCUSTFILE = r"""
import itertools, os, time
from locust import FastHttpUser, constant_throughput, events, task

PATHS = [p for p in open(os.environ["BENCH_PATHS"], encoding="utf-8").read().split("\n") if p]
RATE = float(os.environ["BENCH_RATE"])
USERS = int(os.environ["BENCH_USERS"])
RECORDS = []


class Client(FastHttpUser):
    wait_time = constant_throughput(RATE / USERS) if RATE > 0 else (lambda self: 0)
    numbers = itertools.count()  # user n of USERS sends paths n, n + USERS, n + 2 USERS, ...

    def on_start(self):
        self.position = next(Client.numbers) - USERS

    @task
    def get(self):
        self.position = (self.position + USERS) % len(PATHS)
        started = time.perf_counter()
        with self.client.get(PATHS[self.position], name="load", catch_response=True) as response:
            status = response.status_code or 0
            response.success() if 200 <= status < 400 else response.failure(str(status))
        ms = (time.perf_counter() - started) * 1e6
        RECORDS.append(f"{ms:.0f} {ms:.0f} {status}")


@events.quitting.add_listener
def save(environment, **kwargs):
    with open(os.environ["BENCH_OUT"], "w", encoding="utf-8") as out:
        out.write("\n".join(RECORDS) + "\n")
"""


@dataclass
class Run:
    requests: int
    seconds: float
    rps: float
    p50: float
    p95: float
    p99: float
    errors: int
    statuses: dict[str, int]
    server_cores: float
    generator_cores: float
    other_cores: float
    due: float = 0.0  # requests the schedule asked for (paced runs)
    process_cores: list[float] = field(default_factory=list)  # the server's busy processes, busiest first


def locust_command() -> str | None:
    """locust beside this interpreter (the bench extra), else on the PATH."""
    beside = Path(sys.executable).with_name("locust")
    return str(beside) if beside.exists() else shutil.which("locust")


def drive(
    generator: str,
    server: Server,
    paths_file: Path,
    seconds: float,
    connections: int,
    rate: float,
    scratch: Path,
) -> Run:
    """One run of the load generator; the figures of what it measured and the CPU it all took."""
    out = scratch / "latencies.txt"
    out.unlink(missing_ok=True)
    if generator == "wrk":
        script = scratch / "load.lua"
        script.write_text(WRK_SCRIPT)
        command = [
            "wrk",
            f"--threads={connections}",
            f"--connections={connections}",
            f"--duration={seconds:g}s",
            "--timeout=10s",
            f"--script={script}",
            server.url,
            "--",
            str(paths_file),
            str(rate),
            str(connections),
            str(out),
        ]
        env = dict(os.environ)
    else:
        locust = locust_command()
        assert locust is not None
        locustfile = scratch / "locustfile.py"
        locustfile.write_text(LOCUSTFILE)
        command = [
            locust,
            "-f",
            str(locustfile),
            "--headless",
            f"--users={connections}",
            f"--spawn-rate={connections}",
            f"--run-time={seconds:g}s",
            f"--host={server.url}",
            "--only-summary",
            "--loglevel=WARNING",
            "--stop-timeout=5",
        ]
        env = {
            **os.environ,
            "BENCH_PATHS": str(paths_file),
            "BENCH_RATE": str(rate),
            "BENCH_USERS": str(connections),
            "BENCH_OUT": str(out),
        }
    assert server.process is not None
    server_before = tree_cpu(server.process.pid)
    busy_before = machine_busy()
    me_before = _own_cpu()
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=scratch)
    output = child.stdout.read() if child.stdout else b""
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    server_after = tree_cpu(server.process.pid)
    busy = machine_busy() - busy_before
    me = _own_cpu() - me_before
    if child.returncode != 0 or not out.exists():
        sys.exit(
            f"{generator} failed (exit code {child.returncode}):\n{output.decode(errors='replace')[-3000:]}"
        )
    per_process = sorted(
        (server_after[pid] - server_before.get(pid, 0.0) for pid in server_after), reverse=True
    )
    server_cpu = sum(per_process)
    generator_cpu = usage.ru_utime + usage.ru_stime
    service: list[float] = []
    due: list[float] = []
    statuses: dict[str, int] = {}
    socket_errors = 0
    duration = seconds
    for line in out.read_text().splitlines():
        if line.startswith("#"):  # wrk's summary: duration (µs), then its socket errors
            fields = [int(v) for v in line[1:].split()]
            duration = fields[0] / 1e6
            socket_errors = fields[1] + fields[2] + fields[3] + fields[5]
            continue
        if not line:
            continue
        sent_us, due_us, code = line.split()
        service.append(int(sent_us) / 1000)
        due.append(int(due_us) / 1000)
        statuses[code] = statuses.get(code, 0) + 1
    latencies = sorted(due)  # from when each request was due (= from its send, in closed loops)
    errors = socket_errors + sum(n for code, n in statuses.items() if not 200 <= int(code) < 400)
    return Run(
        requests=len(latencies),
        seconds=duration,
        rps=len(latencies) / duration,
        p50=percentile(latencies, 0.50),
        p95=percentile(latencies, 0.95),
        p99=percentile(latencies, 0.99),
        errors=errors,
        statuses=statuses,
        server_cores=server_cpu / wall,
        generator_cores=generator_cpu / wall,
        other_cores=max(0.0, busy - server_cpu - generator_cpu - me) / wall,
        due=rate * duration if rate else 0.0,
        process_cores=[round(cpu / wall, 3) for cpu in per_process if cpu / wall >= 0.01],
    )


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system


# -- report -----------------------------------------------------------------------------------


def verdict(endpoint: Endpoint, best: Run, paced: Run | None) -> tuple[bool, str]:
    reasons = []
    if best.rps < endpoint.target_rps:
        reasons.append(f"max {best.rps:.0f}/s < {endpoint.target_rps:.0f}/s")
    if paced is not None:
        if paced.requests < KEEP_UP * paced.due:
            reasons.append(f"paced run did {paced.rps:.0f}/s of {endpoint.target_rps:.0f}/s")
        if endpoint.target_p99_ms is not None and paced.p99 > endpoint.target_p99_ms:
            reasons.append(f"p99 {paced.p99:.0f} ms > {endpoint.target_p99_ms:.0f} ms")
    errors = best.errors + (paced.errors if paced else 0)
    if errors:
        reasons.append(f"{errors} errors")
    return not reasons, "; ".join(reasons)


Results = dict[tuple[str, str | None, int, str], Run]  # (endpoint, mix, workers, phase)


def label_width(table: list[Endpoint], extra: int = 0) -> int:
    return max(22, max(len(e.label) for e in table) + extra + 2)


def print_table(
    title: str,
    rows: list[Endpoint],
    label: Callable[[Endpoint], str],
    worker_counts: list[int],
    cell: Callable[[Endpoint, int], str],
    header: str,
) -> None:
    width = len(header)
    first = max(22, max(len(label(e)) for e in rows) + 2)
    print(f"\n{title}")
    print(f"{'':{first}}" + "".join(f"{'workers ' + str(n):^{width}}" for n in worker_counts))
    print(f"{'endpoint':{first}}" + header * len(worker_counts))
    for endpoint in rows:
        print(f"{label(endpoint):{first}}" + "".join(cell(endpoint, n) for n in worker_counts))


def report(
    results: Results, table: list[Endpoint], worker_counts: list[int], args: argparse.Namespace
) -> bool:
    empty = " " * 41

    def figures(phase: str) -> Callable[[Endpoint, int], str]:
        def cell(endpoint: Endpoint, workers: int) -> str:
            run = results.get((*endpoint.key, workers, phase))
            if run is None:
                return empty
            mark = "!" if run.other_cores > NOISY else " "
            return f"{run.rps:8.0f}{ms(run.p50):>7}{ms(run.p95):>7}{ms(run.p99):>8}{run.errors:7} {mark}  "

        return cell

    header = f"{'req/s':>8}{'p50':>7}{'p95':>7}{'p99':>8}{'errors':>7}    "
    print_table(
        f"max: closed loop, {args.connections} connections, {args.duration:g} s each "
        "(latency in ms from each send)",
        table,
        lambda e: e.label,
        worker_counts,
        figures("max"),
        header,
    )
    if not args.no_paced:
        print_table(
            f"paced: open loop at the target rate, {args.paced_connections} connections, "
            f"{args.duration:g} s each (latency in ms from when each request was due)",
            table,
            lambda e: f"{e.label} @{e.target_rps:.0f}",
            worker_counts,
            figures("paced"),
            header,
        )

    def cpu(endpoint: Endpoint, workers: int) -> str:
        text = ""
        for phase, width in (("max", 8), ("paced", 10)):
            run = results.get((*endpoint.key, workers, phase))
            text += (
                f"{run.server_cores:{width}.2f}{run.generator_cores:5.2f}{run.other_cores:6.2f}  "
                if run
                else " " * (width + 13)
            )
        return text

    print_table(
        "CPU, in cores (CPU seconds per wall second; 2 cores here): server, load generator, everything else",
        table,
        lambda e: e.label,
        worker_counts,
        cpu,
        f"{'max srv':>8}{'gen':>5}{'other':>6}  {'paced srv':>10}{'gen':>5}{'other':>6}  ",
    )
    shares = [
        run.generator_cores / max(run.generator_cores + run.server_cores, 1e-9) for run in results.values()
    ]
    print(
        f"load generator ({args.generator}): {min(shares):.0%}-{max(shares):.0%} of the CPU that the "
        f"server and it used together"
    )
    noisy = sum(run.other_cores > NOISY for run in results.values())
    if noisy:
        print(
            f"WARNING: in {noisy} of {len(results)} runs (marked !) other processes used more than "
            f"{NOISY} cores: those figures understate the server (rerun with --wait-quiet 1800)"
        )

    print(
        f"\ntargets: search >= {TARGET_SEARCH_RPS:.0f} req/s with p99 <= {TARGET_SEARCH_P99_MS:.0f} ms "
        f"and no errors, in each query mix; home page >= {TARGET_HOME_RPS:.0f} req/s"
    )
    width = label_width(table)
    all_ok = True
    for endpoint in table:
        for workers in worker_counts:
            best = results[(*endpoint.key, workers, "max")]
            paced = results.get((*endpoint.key, workers, "paced"))
            ok, why = verdict(endpoint, best, paced)
            if endpoint.judged:
                all_ok &= ok
                mark = "ok" if ok else "MISSED"
            else:
                mark = "(no bar)" if ok else f"(no bar: {why})"
                why = ""
            figures_text = f"max {best.rps:.0f}/s" + (
                f", paced {paced.rps:.0f}/s p99 {paced.p99:.0f} ms" if paced else ""
            )
            runs = [best, *([paced] if paced else [])]
            noise = " (! other processes were busy)" if any(r.other_cores > NOISY for r in runs) else ""
            line = f"  {endpoint.label:{width}} workers {workers}: {figures_text:38} {mark} {why}{noise}"
            print(line.rstrip())
    return all_ok


# -- main -------------------------------------------------------------------------------------


def load_papers(db: Path) -> list[dict[str, Any]]:
    from papersift import Library

    lib = Library.open(db, embedding_model=MODEL)
    try:
        return [
            {
                "id": p.id,
                "title": p.title,
                "abstract": p.abstract,
                "authors": list(p.authors),
                "categories": list(p.categories),
                "year": p.published.year if p.published else None,
            }
            for p in lib.papers()
        ]
    finally:
        lib.close()


def wait_for_quiet(limit: float) -> float:
    """Wait (at most `limit` seconds) until other processes leave the cores alone; their cores."""
    deadline = time.perf_counter() + limit
    busy = quiet_check()
    while busy > NOISY and time.perf_counter() < deadline:
        print(f"  (other processes keep {busy:.2f} cores busy: waiting)", flush=True)
        time.sleep(20)
        busy = quiet_check()
    return busy


def ms(value: float) -> str:
    """Milliseconds to show: a decimal below 100 ms, none above."""
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def quiet_check(seconds: float = 3.0) -> float:
    """Cores busy on the machine while this script does nothing (other processes)."""
    before, started = machine_busy(), time.perf_counter()
    time.sleep(seconds)
    return (machine_busy() - before) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_data_argument(parser)
    parser.add_argument("--db", type=Path, help="a database of the crawl with its embeddings")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "papersift-arxiv",
        help="where to build the database without --db (bench_semantic.py's)",
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="server processes (1 2)")
    parser.add_argument(
        "--endpoints", nargs="+", help=f"which of them ({' '.join(DEFAULT_ENDPOINTS)}; also hf-search)"
    )
    parser.add_argument(
        "--mix",
        nargs="+",
        choices=list(MIXES),
        default=list(MIXES),
        help="query mixes to run each search endpoint with (web stress: both, web first)",
    )
    parser.add_argument(
        "--kinds",
        nargs="+",
        choices=list(KINDS),
        help="only these kinds of query within each mix (default: all)",
    )
    parser.add_argument("--duration", type=float, help="seconds of each measured run (20; --quick: 5)")
    parser.add_argument("--warm-up", type=float, help="seconds of warm-up per endpoint (3; --quick: 1)")
    parser.add_argument("--connections", type=int, default=16, help="clients of the max runs (16)")
    parser.add_argument("--paced-connections", type=int, default=32, help="clients of the paced runs (32)")
    parser.add_argument("--no-paced", action="store_true", help="only the max runs")
    parser.add_argument("--generator", choices=("wrk", "locust"), help="(wrk if installed, else locust)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: without --db a 40-paper library, 2 endpoints, 1 worker, 2-second runs; "
        "with --db 5-second runs, 1-second warm-ups",
    )
    parser.add_argument("--seed", type=int, default=4, help="shuffles queries and picks papers (4)")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="before each run, wait up to this long while other processes keep the cores busy",
    )
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--keep-logs", type=Path, help="copy the server logs into this folder")
    args = parser.parse_args()
    if args.quick and args.db is None:
        _common.quick_note()
        PHASES.update({"warm-up": 20, "max": 60, "paced": 60})
        global QUERIES_PER_ENDPOINT
        QUERIES_PER_ENDPOINT = sum(PHASES.values())
        args.duration, args.workers = args.duration or 2.0, [1]
        args.endpoints, args.mix = args.endpoints or ["home", "api-hybrid"], ["web"]
        with tempfile.TemporaryDirectory(prefix="bench-web-load-") as folder:
            args.db = Path(_common.quick_library(Path(folder)))
            run(args)
        return
    run(args)


def run(args: argparse.Namespace) -> None:
    args.duration = args.duration or (5.0 if args.quick else 20.0)
    args.warm_up = args.warm_up or (1.0 if args.quick else 3.0)
    args.generator = args.generator or ("wrk" if shutil.which("wrk") else "locust")
    args.locust = None
    if args.generator == "wrk" and not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt install wrk, or use --generator locust")
    if args.generator == "locust":
        args.locust = locust_command()
        if args.locust is None:
            sys.exit("locust is not installed: pip install -e .[bench] (or apt install wrk)")
    if args.db is None:
        from bench_semantic import build

        args.db = build(args.data, args.cache)
    names = list(dict.fromkeys(args.endpoints or DEFAULT_ENDPOINTS))
    mixes = list(dict.fromkeys(args.mix))
    unknown = set(names) - set(ENDPOINTS)
    if unknown:
        sys.exit(f"unknown endpoints {sorted(unknown)}; choose from {' '.join(ENDPOINTS)}")

    started = time.perf_counter()
    papers = load_papers(args.db)
    print(f"{len(papers):,} papers in {args.db} (read in {time.perf_counter() - started:.1f} s)")
    started = time.perf_counter()
    table, pools = endpoints(papers, names, mixes, args.seed, args.kinds)
    del papers
    if pools:
        print(
            f"queries: {sum(len(p.queries) for p in pools.values()):,} distinct, made in "
            f"{time.perf_counter() - started:.1f} s; each search endpoint gets, per mix, "
            + ", ".join(f"{n:,} for its {phase}" for phase, n in PHASES.items())
        )
    for mix, pool in pools.items():
        shares = {k: sum(kind == k for kind, _ in pool.queries) / len(pool.queries) for k in KINDS}
        print(
            f"  [{mix}] {len(pool.queries):,} queries from seeds SEED+{pool.seeds.start}.."
            f"{pool.seeds.stop - 1}: "
            + ", ".join(f"{share:.0%} {kind}" for kind, share in shares.items() if share)
        )
    idle = quiet_check()
    if idle > NOISY and args.wait_quiet:
        idle = wait_for_quiet(args.wait_quiet)
    print(
        f"generator: {args.generator}; {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}; "
        f"busy before starting: {idle:.2f} cores"
    )
    if idle > NOISY:
        print(f"WARNING: other processes keep {idle:.2f} cores busy: the figures below are low")

    results: Results = {}
    width = label_width(table)
    with tempfile.TemporaryDirectory(prefix="papersift-load-") as folder:
        scratch = Path(folder)
        for workers in args.workers:
            server = Server(args.db, workers, scratch / f"server-{workers}.log")
            print(f"\n$ {' '.join(server.command)}", flush=True)
            try:
                ready = server.start()
                print(f"  ready in {ready:.1f} s", flush=True)
                for endpoint in table:
                    files = {}
                    for phase, paths in endpoint.paths.items():
                        # the pages reuse one list for every phase; searches have one list a phase
                        files[phase] = scratch / f"{endpoint.name}-{endpoint.mix or 'page'}-{phase}.txt"
                        files[phase].write_text("\n".join(paths) + "\n")
                    drive(
                        args.generator, server, files["warm-up"], args.warm_up, args.connections, 0, scratch
                    )
                    phases = [("max", args.connections, 0.0)]
                    if not args.no_paced:
                        phases.append(("paced", args.paced_connections, endpoint.target_rps))
                    for phase, connections, rate in phases:
                        if args.wait_quiet:
                            wait_for_quiet(args.wait_quiet)
                        run = drive(
                            args.generator, server, files[phase], args.duration, connections, rate, scratch
                        )
                        results[(*endpoint.key, workers, phase)] = run
                        rounds = run.requests / len(endpoint.paths[phase])
                        again = (
                            f"  (went {rounds:.1f} times round its {len(endpoint.paths[phase]):,} queries)"
                            if endpoint.mix is not None and rounds > 1
                            else ""
                        )
                        print(
                            f"  {endpoint.label:{width}} {phase:6} {run.rps:7.1f} req/s  p50 {run.p50:6.1f}  "
                            f"p95 {run.p95:6.1f}  p99 {run.p99:6.1f} ms  errors {run.errors}  "
                            f"cores: server {run.server_cores:.2f} "
                            f"({'+'.join(f'{c:.2f}' for c in run.process_cores) or '0'}), {args.generator} "
                            f"{run.generator_cores:.2f}, other {run.other_cores:.2f}{again}",
                            flush=True,
                        )
            finally:
                server.stop()
                if args.keep_logs:
                    args.keep_logs.mkdir(parents=True, exist_ok=True)
                    shutil.copy(server.log, args.keep_logs / server.log.name)

    all_ok = report(results, table, args.workers, args)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "db": str(args.db),
                    "generator": args.generator,
                    "duration_s": args.duration,
                    "connections": args.connections,
                    "paced_connections": args.paced_connections,
                    "busy_before": idle,
                    "mixes": mixes,
                    "kinds": args.kinds,
                    "queries_per_phase": PHASES,
                    "query_seeds": {
                        mix: [pool.seeds.start, pool.seeds.stop - 1] for mix, pool in pools.items()
                    },
                    "runs": [
                        {"endpoint": n, "mix": m, "workers": w, "phase": p, **vars(run)}
                        for (n, m, w, p), run in results.items()
                    ],
                },
                indent=1,
            )
        )
    sys.exit(0 if all_ok or args.quick else 1)


if __name__ == "__main__":
    sys.path.insert(0, str(REPO / "bench"))
    main()
