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
papers). Queries are bench_search.py's realistic mix (titles, authors, topics with filters,
150-300-word paragraphs, cut at the 2,000 characters the app accepts), 1,000 of them from five
seeds, shuffled; paper pages are 1,000 random papers.

The load generator runs on the same 2 cores as the server, so the CPU used by the server, by the
generator and by everything else is measured over each run (cores = CPU seconds / wall seconds)
and printed: a generator eating a core would make the server look slower than it is, and another
busy process on the machine makes the figures worthless (the script warns).

The bar is judged on `/api/search` (hybrid and keyword) and on HTML search: ok when the max run
reaches the rate, the paced run keeps up with it (>= 97%), its p99 is <= 100 ms, and neither run
has an error; the home page needs the rate and no error.

Run:   .venv/bin/python bench/bench_web_load.py [--db PATH | --cache DIR] [--data PATH]
           [--workers 1 2] [--duration 20] [--endpoints home api-hybrid ...] [--quick]
           [--kinds title author topic paragraph] [--generator wrk|locust]
           [--wait-quiet SECONDS] [--json PATH] [--keep-logs DIR]
       --db: a database of the crawl with its embeddings (the server opens it; nothing is
       written but the keyword index beside it, if stale). Without --db it is built in --cache
       as bench_semantic.py does (about 20 minutes on 2 cores, once). --quick: 5-second runs.
       --wait-quiet: on a shared machine, wait before each run until other processes are idle.
       The whole run (2 worker counts x 6 endpoints x 2 runs of 20 s) takes about 10 minutes.
"""

from __future__ import annotations

import argparse
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

from _common import REPO, add_data_argument, percentile
from bench_search import KINDS

TARGET_SEARCH_RPS = 200.0
TARGET_SEARCH_P99_MS = 100.0
TARGET_HOME_RPS = 300.0
NOISY = 0.15  # cores used by other processes during a run beyond which its figures are marked "!"
KEEP_UP = 0.97  # a paced run "keeps up" when it completes this share of the requests it was due
MAX_QUERY = 2000  # characters the app accepts in `q` (pages.MAX_QUERY, api.MAX_QUERY)
QUERY_SEEDS = 5  # bench_search.make_queries gives 200 queries a seed
MODEL = "all-MiniLM-L6-v2"


@dataclass
class Endpoint:
    name: str
    label: str
    target_rps: float
    target_p99_ms: float | None  # None: no latency bar
    judged: bool  # part of the bar
    paths: list[str] = field(default_factory=list)


def endpoints(papers: list[dict[str, Any]], seed: int, kinds: list[str] | None = None) -> dict[str, Endpoint]:
    from bench_search import SEED, make_queries

    queries = [
        q
        for s in range(QUERY_SEEDS)
        for kind, q in make_queries(papers, SEED + s)
        if kinds is None or kind in kinds
    ]
    random.Random(seed).shuffle(queries)
    queries = [_cut(q) for q in queries]
    ids = [p["id"] for p in random.Random(seed + 1).sample(papers, min(1000, len(papers)))]
    search = [quote_plus(q) for q in queries]
    table = [
        Endpoint("home", "home /", TARGET_HOME_RPS, None, True, ["/"]),
        Endpoint("html-hybrid", "/search hybrid", TARGET_SEARCH_RPS, TARGET_SEARCH_P99_MS, True),
        Endpoint("html-keyword", "/search keyword", TARGET_SEARCH_RPS, TARGET_SEARCH_P99_MS, True),
        Endpoint("api-hybrid", "/api/search hybrid", TARGET_SEARCH_RPS, TARGET_SEARCH_P99_MS, True),
        Endpoint("api-keyword", "/api/search keyword", TARGET_SEARCH_RPS, TARGET_SEARCH_P99_MS, True),
        Endpoint("hf-search", "/api/papers/search", TARGET_SEARCH_RPS, TARGET_SEARCH_P99_MS, False),
        Endpoint("paper", "/papers/{id}", TARGET_SEARCH_RPS, None, False),
    ]
    paths = {
        "html-hybrid": [f"/search?q={q}" for q in search],
        "html-keyword": [f"/search?q={q}&mode=keyword" for q in search],
        "api-hybrid": [f"/api/search?q={q}" for q in search],
        "api-keyword": [f"/api/search?q={q}&mode=keyword" for q in search],
        "hf-search": [f"/api/papers/search?q={q}&limit=10" for q in search],
        "paper": [f"/papers/{quote(i, safe='/')}" for i in ids],
    }
    for endpoint in table:
        endpoint.paths = paths.get(endpoint.name, endpoint.paths)
    return {e.name: e for e in table}


DEFAULT_ENDPOINTS = ["home", "html-hybrid", "html-keyword", "api-hybrid", "api-keyword", "paper"]


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

# wrk: one connection per thread, so a thread's globals are its connection's. `delay()` holds each
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
  local rate, connections = tonumber(args[2]), tonumber(args[3])
  out_path = args[4]
  paths = {}
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  position = ((number - 1) * 7919) % #paths  -- each connection starts elsewhere in the list
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
  position = position % #paths + 1
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
import os, random, time
from locust import FastHttpUser, constant_throughput, events, task

PATHS = open(os.environ["BENCH_PATHS"], encoding="utf-8").read().split("\n")
RATE = float(os.environ["BENCH_RATE"])
USERS = int(os.environ["BENCH_USERS"])
RECORDS = []


class Client(FastHttpUser):
    wait_time = constant_throughput(RATE / USERS) if RATE > 0 else (lambda self: 0)

    def on_start(self):
        self.position = random.randrange(len(PATHS))

    @task
    def get(self):
        self.position = (self.position + 1) % len(PATHS)
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


def print_table(
    title: str, rows: list[str], labels: dict[str, str], worker_counts: list[int], cell: Any, header: str
) -> None:
    width = len(header)
    print(f"\n{title}")
    print(f"{'':22}" + "".join(f"{'workers ' + str(n):^{width}}" for n in worker_counts))
    print(f"{'endpoint':22}" + header * len(worker_counts))
    for name in rows:
        print(f"{labels[name]:22}" + "".join(cell(name, n) for n in worker_counts))


def report(
    results: dict[tuple[str, int, str], Run],
    table: dict[str, Endpoint],
    names: list[str],
    worker_counts: list[int],
    args: argparse.Namespace,
) -> bool:
    labels = {n: table[n].label for n in names}
    empty = " " * 41

    def figures(phase: str) -> Any:
        def cell(name: str, workers: int) -> str:
            run = results.get((name, workers, phase))
            if run is None:
                return empty
            mark = "!" if run.other_cores > NOISY else " "
            return f"{run.rps:8.0f}{ms(run.p50):>7}{ms(run.p95):>7}{ms(run.p99):>8}{run.errors:7} {mark}  "

        return cell

    header = f"{'req/s':>8}{'p50':>7}{'p95':>7}{'p99':>8}{'errors':>7}    "
    print_table(
        f"max: closed loop, {args.connections} connections, {args.duration:g} s each "
        "(latency in ms from each send)",
        names,
        labels,
        worker_counts,
        figures("max"),
        header,
    )
    if not args.no_paced:
        print_table(
            f"paced: open loop at the target rate, {args.paced_connections} connections, "
            f"{args.duration:g} s each (latency in ms from when each request was due)",
            names,
            {n: f"{labels[n]} @{table[n].target_rps:.0f}" for n in names},
            worker_counts,
            figures("paced"),
            header,
        )

    def cpu(name: str, workers: int) -> str:
        text = ""
        for phase, width in (("max", 8), ("paced", 10)):
            run = results.get((name, workers, phase))
            text += (
                f"{run.server_cores:{width}.2f}{run.generator_cores:5.2f}{run.other_cores:6.2f}  "
                if run
                else " " * (width + 13)
            )
        return text

    print_table(
        "CPU, in cores (CPU seconds per wall second; 2 cores here): server, load generator, everything else",
        names,
        labels,
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
        f"and no errors; home page >= {TARGET_HOME_RPS:.0f} req/s"
    )
    all_ok = True
    for name in names:
        endpoint = table[name]
        for workers in worker_counts:
            best = results[(name, workers, "max")]
            paced = results.get((name, workers, "paced"))
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
            print(f"  {endpoint.label:22} workers {workers}: {figures_text:38} {mark} {why}{noise}".rstrip())
    return all_ok


# -- main -------------------------------------------------------------------------------------


def load_papers(db: Path) -> list[dict[str, Any]]:
    from papersift.library import Library

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
        "--kinds",
        nargs="+",
        choices=list(KINDS),
        help="only these kinds of query (default: all, bench_search.py's mix)",
    )
    parser.add_argument("--duration", type=float, help="seconds of each measured run (20; --quick: 5)")
    parser.add_argument("--warm-up", type=float, help="seconds of warm-up per endpoint (3; --quick: 1)")
    parser.add_argument("--connections", type=int, default=16, help="clients of the max runs (16)")
    parser.add_argument("--paced-connections", type=int, default=32, help="clients of the paced runs (32)")
    parser.add_argument("--no-paced", action="store_true", help="only the max runs")
    parser.add_argument("--generator", choices=("wrk", "locust"), help="(wrk if installed, else locust)")
    parser.add_argument("--quick", action="store_true", help="5-second runs, 1-second warm-ups")
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
    names = args.endpoints or DEFAULT_ENDPOINTS

    started = time.perf_counter()
    papers = load_papers(args.db)
    table = endpoints(papers, args.seed, args.kinds)
    unknown = set(names) - set(table)
    if unknown:
        sys.exit(f"unknown endpoints {sorted(unknown)}; choose from {' '.join(table)}")
    print(
        f"{len(papers):,} papers in {args.db}; {len(table['api-hybrid'].paths):,} queries, "
        f"{len(table['paper'].paths):,} paper pages (read in {time.perf_counter() - started:.1f} s)"
    )
    del papers
    idle = quiet_check()
    if idle > NOISY and args.wait_quiet:
        idle = wait_for_quiet(args.wait_quiet)
    print(
        f"generator: {args.generator}; {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}; "
        f"busy before starting: {idle:.2f} cores"
    )
    if idle > NOISY:
        print(f"WARNING: other processes keep {idle:.2f} cores busy: the figures below are low")

    results: dict[tuple[str, int, str], Run] = {}
    with tempfile.TemporaryDirectory(prefix="papersift-load-") as folder:
        scratch = Path(folder)
        for workers in args.workers:
            server = Server(args.db, workers, scratch / f"server-{workers}.log")
            print(f"\n$ {' '.join(server.command)}", flush=True)
            try:
                ready = server.start()
                print(f"  ready in {ready:.1f} s", flush=True)
                for name in names:
                    endpoint = table[name]
                    paths_file = scratch / f"{name}.txt"
                    paths_file.write_text("\n".join(endpoint.paths) + "\n")
                    drive(args.generator, server, paths_file, args.warm_up, args.connections, 0, scratch)
                    phases = [("max", args.connections, 0.0)]
                    if not args.no_paced:
                        phases.append(("paced", args.paced_connections, endpoint.target_rps))
                    for phase, connections, rate in phases:
                        if args.wait_quiet:
                            wait_for_quiet(args.wait_quiet)
                        run = drive(
                            args.generator, server, paths_file, args.duration, connections, rate, scratch
                        )
                        results[(name, workers, phase)] = run
                        print(
                            f"  {endpoint.label:22} {phase:6} {run.rps:7.1f} req/s  p50 {run.p50:6.1f}  "
                            f"p95 {run.p95:6.1f}  p99 {run.p99:6.1f} ms  errors {run.errors}  "
                            f"cores: server {run.server_cores:.2f} "
                            f"({'+'.join(f'{c:.2f}' for c in run.process_cores) or '0'}), {args.generator} "
                            f"{run.generator_cores:.2f}, other {run.other_cores:.2f}",
                            flush=True,
                        )
            finally:
                server.stop()
                if args.keep_logs:
                    args.keep_logs.mkdir(parents=True, exist_ok=True)
                    shutil.copy(server.log, args.keep_logs / server.log.name)

    all_ok = report(results, table, names, args.workers, args)
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
                    "runs": [
                        {"endpoint": n, "workers": w, "phase": p, **vars(run)}
                        for (n, w, p), run in results.items()
                    ],
                },
                indent=1,
            )
        )
    sys.exit(0 if all_ok else 1)


if __name__ == "__main__":
    sys.path.insert(0, str(REPO / "bench"))
    main()
