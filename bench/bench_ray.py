"""The Ray engine beside the local one: embedding throughput on the same papers, in one run.

Why: `ingest --engine ray` exists for clusters; on one machine it must not lose much to the local
engine, and its per-actor rate says what a cluster would do. Both engines import the first N
papers of the shared crawl into fresh SQLite libraries (the import itself, then the embedding,
timed apart); the engines alternate in rounds. From the Ray engine's per-actor rate, the time to
embed all of arXiv (2.5 M papers) on more workers is estimated in the note, on paper.

After each round the two libraries' vectors are compared paper by paper (the issue asks for
agreement within 1e-5).

Run:   .venv/bin/python bench/bench_ray.py [--n 3000 | --all] [--rounds 1] [--quick]
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
    parser.add_argument("--all", action="store_true", help="every record of the crawl (74,728)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="smoke test: 20 papers, one round")
    args = parser.parse_args()
    if args.quick:
        _common.quick_note()
        args.n, args.all, args.rounds = 20, False, 1

    from papersift import Library

    with tempfile.TemporaryDirectory(prefix="bench-ray-") as folder:
        sample = _common.arxiv_subset(args.data, None if args.all else args.n, Path(folder))
        print(f"{'all' if args.all else args.n} papers, {os.cpu_count()} CPUs", flush=True)
        for round_number in range(1, args.rounds + 1):
            libraries = {engine: Path(folder) / f"{engine}-{round_number}.db" for engine in ("local", "ray")}
            for engine in ("local", "ray") if round_number % 2 else ("ray", "local"):
                with Library.open(libraries[engine], embedding_model=MODEL) as lib:
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
            compare_vectors(libraries["local"], libraries["ray"])


def compare_vectors(local_path: Path, ray_path: Path) -> None:
    """Print the largest difference between the two engines' vectors of the same paper."""
    import numpy as np

    from papersift import Library

    with (
        Library.open(local_path, embedding_model=MODEL) as local,
        Library.open(ray_path, embedding_model=MODEL) as ray,
    ):
        key = _common.semantic_index(local).key  # type: ignore[union-attr]
        ids = [paper.id for paper in local.papers()]
        local_pks, ray_pks = local.store.pks_of(ids), ray.store.pks_of(ids)
        ray_vectors = {pk: vector for batch in ray.store.iter_embeddings(key) for pk, vector in batch}
        local_vectors = {pk: vector for batch in local.store.iter_embeddings(key) for pk, vector in batch}
        largest, missing = 0.0, 0
        for paper_id in ids:
            ours, theirs = local_vectors.get(local_pks[paper_id]), ray_vectors.get(ray_pks.get(paper_id, -1))
            if ours is None or theirs is None:
                missing += 1
                continue
            difference = np.abs(np.frombuffer(ours, "<f4") - np.frombuffer(theirs, "<f4")).max()
            largest = max(largest, float(difference))
        print(
            f"  vectors: {len(ids) - missing} papers compared, {missing} missing on a side, "
            f"largest difference {largest:.2e} (issue: <= 1e-5)",
            flush=True,
        )


if __name__ == "__main__":
    main()
