"""The Ray engine beside the local one: embedding throughput on the same papers, in one run.

Why: `ingest --engine ray` exists for clusters; on one machine it must not lose much to the local
engine, and its per-actor rate says what a cluster would do. Both engines import the first N
papers of the shared crawl into fresh SQLite libraries (the import itself, then the embedding,
timed apart); the engines alternate in rounds. From the Ray engine's per-actor rate, the time to
embed all of arXiv (2.5 M papers) on more workers is estimated in the note, on paper.

Run:   .venv/bin/python bench/bench_ray.py [--n 3000] [--rounds 1]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import _common

MODEL = "all-MiniLM-L6-v2"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    _common.add_data_argument(parser)
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()

    from papersift import Library

    with tempfile.TemporaryDirectory(prefix="bench-ray-") as folder:
        sample = _common.arxiv_subset(args.data, args.n, Path(folder))
        print(f"{args.n} papers, {os.cpu_count()} CPUs")
        for round_number in range(1, args.rounds + 1):
            for engine in ("local", "ray") if round_number % 2 else ("ray", "local"):
                with Library.open(Path(folder) / f"{engine}-{round_number}.db", embedding_model=MODEL) as lib:
                    started = time.perf_counter()
                    lib.ingest(sample, embed=False)
                    imported = time.perf_counter() - started
                    started = time.perf_counter()
                    report = lib.ingest(sample, engine=engine)  # nothing new to import: embeds only
                    seconds = time.perf_counter() - started
                print(
                    f"  round {round_number} {engine:5s}: import {imported:5.1f} s, embed {report.embedded} "
                    f"in {seconds:6.1f} s = {report.embedded / seconds:5.1f} papers/s "
                    f"(load {os.getloadavg()[0]:.1f})",
                    flush=True,
                )


if __name__ == "__main__":
    main()
