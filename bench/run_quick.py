"""Run every bench/bench_*.py with --quick, one after another, and summarise (issue 15).

Each script runs in its own process group with a timeout (then the group is killed, and so is
anything it started that left the group, found by an environment marker); a line per script
gives its name, seconds and ok / FAILED, and the exit code is 1 when any failed. A quick run is a
smoke test of the bench (the same code path on a tiny input), not a measurement.

Run:   .venv/bin/python bench/run_quick.py [--timeout 120] [--only NAME ...] [--verbose]
       (`make bench-quick`; `make test` runs it after the test suite)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
# Set in each script's environment, which everything it starts inherits: how its leftovers are found.
MARKER = "PAPERSIFT_QUICK_RUN"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds allowed to each script (120)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="only these scripts (bench_x or x)")
    parser.add_argument("--verbose", action="store_true", help="print each script's output as it runs")
    args = parser.parse_args()
    scripts = sorted(BENCH.glob("bench_*.py"))
    if args.only:
        wanted = {name.removeprefix("bench_").removesuffix(".py") for name in args.only}
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in wanted]
    rows: list[tuple[str, float, float, str]] = []
    started_all = time.perf_counter()
    for script in scripts:
        print(f"== {script.name} --quick", flush=True)
        started, cpu_before = time.perf_counter(), children_cpu()
        verdict, output = run_script(script, args.timeout, args.verbose)
        seconds, cpu = time.perf_counter() - started, children_cpu() - cpu_before
        if not verdict.startswith("ok") and not args.verbose:
            print(output[-4000:], flush=True)
        skipped = [line for line in output.splitlines() if line.startswith("SKIPPED")]
        rows.append(
            (script.name, seconds, cpu, verdict + (f"; {len(skipped)} part(s) skipped" if skipped else ""))
        )
        print(f"   {seconds:6.1f} s ({cpu:.1f} s CPU)  {rows[-1][3]}", flush=True)
    # CPU: user + system seconds of the script and the processes it waited for (not of a server
    # that left its group, such as PostgreSQL); on a busy machine it says more than the wall clock.
    print(f"\n{'script':28}{'seconds':>9}{'CPU s':>8}  result")
    for name, seconds, cpu, verdict in rows:
        print(f"{name:28}{seconds:9.1f}{cpu:8.1f}  {verdict}")
    total_cpu = sum(row[2] for row in rows)
    print(f"{'total':28}{time.perf_counter() - started_all:9.1f}{total_cpu:8.1f}")
    print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the end)")
    sys.exit(1 if any(not row[3].startswith("ok") for row in rows) else 0)


def children_cpu() -> float:
    """User + system CPU seconds of this process's waited-for children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_script(script: Path, timeout: float, verbose: bool) -> tuple[str, str]:
    """Run `script --quick` in its own session (process group); on timeout the whole group is
    killed, so nothing it started (a `papersift serve`, Ray, PostgreSQL) outlives it."""
    marker = f"{script.stem}-{os.getpid()}-{time.time_ns()}"
    process = subprocess.Popen(
        [sys.executable, str(script), "--quick"],
        cwd=BENCH.parent,
        env={**os.environ, MARKER: marker},
        stdout=None if verbose else subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
        verdict = "ok" if process.returncode == 0 else f"FAILED (exit {process.returncode})"
    except subprocess.TimeoutExpired:
        kill_group(process.pid, signal.SIGTERM)
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            kill_group(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
        verdict = f"FAILED (timeout {timeout:.0f} s)"
    # Whatever the script left running (it should leave nothing) goes too: its process group, and
    # the processes that left the group (pg_ctl and Ray daemons call setsid) but carry the marker.
    kill_group(process.pid, signal.SIGKILL)
    leftovers = kill_marked(marker)
    if leftovers:
        verdict += f"; killed {leftovers} leftover process(es)"
    return verdict, output or ""


def kill_marked(marker: str) -> int:
    """Kill (TERM, then KILL) this user's processes whose environment holds MARKER=marker; how many."""
    needle = f"{MARKER}={marker}".encode()
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:  # gone, or not ours; no /proc at all (macOS) finds nothing
            continue
    for signal_number in (signal.SIGTERM, signal.SIGKILL):
        for pid in found:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal_number)
        if signal_number == signal.SIGTERM and found:
            time.sleep(3)
    return len(found)


def kill_group(group: int, signal_number: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal_number)


if __name__ == "__main__":
    main()
