"""Several importers and web workers on one PostgreSQL library at once, for minutes.

Why: a lab's papersift runs imports, web workers and digests against one database; nothing may
be lost or doubled. Here 4 importer processes import overlapping slices of the shared crawl
(each slice is shared with the next importer, so the same papers race) while `papersift serve
--workers 4` answers a stream of searches, paper pages and daily pages; at the end the library
must hold every paper exactly once, every paper must be found by its title, and no request or
import may have failed. Embedding is off (`--no-embed`): the race is in the store.

Run:   .venv/bin/python bench/bench_concurrency.py [--minutes 5] [--importers 4] [--workers 4]
       (starts its own throw-away PostgreSQL, like bench/pg_server.py; or --db URL)
       .venv/bin/python bench/bench_concurrency.py --quick   # smoke test: 2 importers of 50-paper
           slices of 200 records and one web worker for 10 s (SKIPPED when PostgreSQL cannot start)
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import _common

sys.path.insert(0, str(_common.REPO / "tests"))
from pgserver import PostgresTestServer

SLICE = 2_000
RECORDS = 20_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    _common.add_data_argument(parser)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--importers", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--db", help="a PostgreSQL URL (default: a throw-away server)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: 10 s, 2 importers of 50-paper slices of 200 records, 1 web worker",
    )
    args = parser.parse_args()
    args.slice, args.records = SLICE, RECORDS

    with tempfile.TemporaryDirectory(prefix="bench-concurrency-") as folder_name:
        folder = Path(folder_name)
        if args.quick:
            _common.quick_note()
            args.minutes, args.importers, args.workers = 10 / 60, 2, 1
            args.slice, args.records = 50, 200
            if not args.db:
                with _common.quick_postgres(folder) as url:
                    if url is not None:
                        run(args, folder, url)
                return
        server = (
            None if args.db else PostgresTestServer.start(folder / "pg", settings={"max_connections": "100"})
        )
        url = args.db or server.create_database("papersift")  # type: ignore[union-attr]
        try:
            run(args, folder, url)
        finally:
            if server is not None:
                server.stop()


def run(args: argparse.Namespace, folder: Path, url: str) -> None:
    from papersift import Library

    env = {**os.environ, "PAPERSIFT_DB": url, "PAPERSIFT_EMBEDDING_MODEL": "none", "NO_COLOR": "1"}
    env["PAPERSIFT_CACHE_DIR"] = str(folder / "cache")
    lines = read_lines(args.data, args.records)
    Library.open(url).close()  # the schema exists before the race
    command = [str(_common.REPO / ".venv" / "bin" / "papersift")]
    port = free_port()
    web = subprocess.Popen(
        [*command, "serve", "--port", str(port), "--workers", str(args.workers)],
        stdout=open(folder / "serve.log", "wb"),  # noqa: SIM115 - lives as long as the server
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        race(args, folder, url, env, lines, command, port, web)
    finally:
        if web.poll() is None:
            web.terminate()
            web.wait(timeout=60)


def race(
    args: argparse.Namespace,
    folder: Path,
    url: str,
    env: dict[str, str],
    lines: list[str],
    command: list[str],
    port: int,
    web: subprocess.Popen[bytes],
) -> None:
    from papersift import Library

    stats = {"requests": 0, "errors": 0, "imports": 0, "import_errors": 0}
    imported: set[str] = set()
    lock = threading.Lock()
    wait_for(port, web)
    deadline = time.monotonic() + args.minutes * 60
    print(
        f"serving on {port} with {args.workers} workers; {args.importers} importers for "
        f"{args.minutes:.2g} min"
    )

    def importer(number: int) -> None:
        # Importer n takes slices n, n+1, ... (wrapping): importers n and n+1 share every slice
        # but one, in a different order, so the same papers are written by two at once.
        slices = [lines[start : start + args.slice] for start in range(0, len(lines), args.slice)]
        turn = number
        while time.monotonic() < deadline:
            chunk = slices[turn % len(slices)]
            path = folder / f"importer{number}-{turn}.jsonl"
            path.write_text("".join(chunk), encoding="utf-8")
            done = subprocess.run(
                [*command, "ingest", "--no-embed", "--json", str(path)],
                capture_output=True,
                env=env,
                check=False,
            )
            with lock:
                stats["imports"] += 1
                if done.returncode != 0:
                    stats["import_errors"] += 1
                    print(f"importer {number}: {done.stderr.decode()[-500:]}", flush=True)
                else:
                    imported.update(json.loads(line)["id"] for line in chunk)
            path.unlink()
            turn += 1 if number % 2 else -1  # half go forwards, half backwards: they meet

    def client(seed: int) -> None:
        rng = random.Random(seed)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < deadline:
            record = json.loads(rng.choice(lines))
            words = " ".join(record["title"].split()[:4])
            target = rng.choice(
                [
                    "/api/search?" + urllib.parse.urlencode({"q": words, "mode": "keyword"}),
                    f"/api/papers/{record['id']}",
                    "/api/daily_papers",
                    "/search?" + urllib.parse.urlencode({"q": words, "mode": "keyword"}),
                ]
            )
            try:
                connection.request("GET", target)
                response = connection.getresponse()
                response.read()
                failed = response.status >= 500 or (response.status == 404 and "/api/papers/" not in target)
            except OSError as error:
                failed = True
                print(f"request {target}: {error}", flush=True)
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            with lock:
                stats["requests"] += 1
                stats["errors"] += failed

    threads = [threading.Thread(target=importer, args=(n,)) for n in range(args.importers)]
    threads += [threading.Thread(target=client, args=(n,)) for n in range(4)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    web.terminate()
    web.wait(timeout=60)

    with Library.open(url) as lib:
        stored = lib.stats()["papers"]
        ids = [paper.id for paper in lib.papers()]
        distinct = len(set(ids))
        missing = sorted(imported - set(ids))
        by_id = {json.loads(line)["id"]: json.loads(line) for line in lines}
        sample = random.Random(1).sample(sorted(imported), min(500, len(imported)))
        unfound = [
            i for i in sample if i not in [h.id for h in lib.search(by_id[i]["title"], mode="keyword")]
        ]
    print(
        f"\n{elapsed:.0f} s: {stats['imports']} imports ({stats['import_errors']} failed), "
        f"{stats['requests']} requests ({stats['errors']} errors, {stats['requests'] / elapsed:.0f}/s)\n"
        f"papers stored {stored}, distinct ids {distinct}, imported ids {len(imported)}, "
        f"missing {len(missing)}; {len(sample) - len(unfound)}/{len(sample)} sampled papers found by "
        f"their title (load {os.getloadavg()[0]:.1f})"
    )
    ok = not stats["errors"] and not stats["import_errors"] and stored == distinct == len(imported)
    sys.exit(0 if ok and not missing and not unfound else 1)


def read_lines(data: Path, records: int) -> list[str]:
    with gzip.open(data / _common.ARXIV_FILE, "rt", encoding="utf-8") as source:
        return [line for line, _ in zip(source, range(records), strict=False)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(port: int, web: subprocess.Popen[bytes], timeout: float = 120) -> None:
    until = time.monotonic() + timeout
    while time.monotonic() < until and web.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.5)
    sys.exit("the web app did not start")


if __name__ == "__main__":
    main()
