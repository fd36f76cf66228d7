"""How close in meaning must a paper be to a search for a digest to send it? (MATCH_COSINE)

Why: a search subscription in semantic (or hybrid) mode sends the day's papers whose embedding is
close enough to the query's; too low a bar fills an inbox with unrelated papers, too high misses
relevant ones. SciFact's TRAIN qrels give (claim, relevant abstract) pairs: this prints, for a few
thresholds, the share of relevant pairs kept and the share of random (claim, abstract) pairs kept
(20 random abstracts per claim, seeded). With 2,000 new papers a day, a random share r means
about 2,000 r unrelated papers per subscription and day before the `max` cap.

Run:   .venv/bin/python bench/bench_match_threshold.py [--data PATH] [--cache DIR]
       (the SciFact library is bench_scifact.py's, built there once and reused)
       .venv/bin/python bench/bench_match_threshold.py --quick   # smoke test: bench_scifact's
           --quick slice of SciFact in a temporary library (--cache is not used)
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import _common
import numpy as np
from _common import add_data_argument
from bench_scifact import Qrels, import_corpus, load, quick_slice

THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_data_argument(parser)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "papersift-scifact")
    parser.add_argument(
        "--quick", action="store_true", help="smoke test: a 20-abstract slice in a temporary library"
    )
    args = parser.parse_args()
    corpus, queries, test, train = load(args.data / "bench" / "scifact")
    if not args.quick:
        run(corpus, queries, train, args.cache)
        return
    _common.quick_note()
    corpus, _test, train = quick_slice(corpus, queries, test, train)
    with tempfile.TemporaryDirectory(prefix="bench-match-threshold-") as folder:
        run(corpus, queries, train, Path(folder))


def run(corpus: list[dict[str, str]], queries: dict[str, str], train: Qrels, cache: Path) -> None:
    lib = import_corpus(corpus, cache)
    semantic = _common.semantic_index(lib)
    assert semantic is not None
    pks = lib.store.pks_of([document["_id"] for document in corpus])
    vectors = semantic.vectors_of(list(pks.values()))
    matrix = np.stack([vectors[pk] for pk in pks.values()])
    rng = np.random.default_rng(0)
    relevant: list[float] = []
    unrelated: list[float] = []
    for query_id, documents in train.items():
        if query_id not in queries:
            continue
        query = semantic.embed_query(queries[query_id])
        relevant += [float(vectors[pks[d]] @ query) for d in documents if d in pks]
        unrelated += (matrix[rng.integers(0, len(matrix), 20)] @ query).tolist()
    kept, noise = np.array(relevant), np.array(unrelated)
    print(f"{len(kept):,} relevant pairs, {len(noise):,} random pairs (SciFact train)")
    print(f"{'threshold':>10} {'relevant kept':>14} {'random kept':>12} {'per 2,000 papers':>17}")
    for threshold in THRESHOLDS:
        share = float(np.mean(noise >= threshold))
        print(f"{threshold:>10} {np.mean(kept >= threshold):>14.3f} {share:>12.4f} {2000 * share:>17.1f}")
    lib.close()


if __name__ == "__main__":
    main()
