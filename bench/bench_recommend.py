"""Measure "For you" recommendations offline: which ranking finds an author's later papers?

Why: papersift ranks recent papers for a member by their library (saved papers) and must beat
arxiv-sanity-lite's method (tf-idf + a linear SVM per user). No dataset has real members'
libraries, so authors stand in for members (the issue's protocol): an author's papers before a
split date are the library, their papers after it the targets, and the question is how many
targets a method puts in the top 50 of all papers of the later period. The chosen method is
`papersift.members.recommend`, called here as shipped; docs/notes/recommendations.md holds the figures.

Data: a library of the 74,728-paper arXiv cs crawl (2025-03 .. 2026-07) with its all-MiniLM-L6-v2
embeddings (`--db`, read only). Split: papers first seen on or after --split (2026-04-01: the last
3.2 months, 20,726 papers, ~28% of the crawl) are the candidates. Author = the name folded (case,
accents) and split into words ("Jean-Pierre Dupont" = "jean pierre dupont"); namesakes merge,
a known limitation. An author qualifies with >= 6 papers, >= 3 before the split, >= 1 after.
The qualifying authors are shuffled (--seed); the first --dev-authors tune every setting (k,
temperatures, idf power, blend weight: grids below, best macro recall@50 on dev), the next
--test-authors give the figures (disjoint names; they may share papers with dev authors).
recall@50 = |targets in the top 50| / |targets|; macro = mean over authors, micro = all targets
found / all targets.

Methods (all rank the same candidates; their features come from all 74,728 papers):
- svm-tfidf: arxiv-sanity-lite (compute.py + serve.py's svm_rank): TfidfVectorizer (word 1-2
  grams, English stop words, sublinear tf, l2, max_features 20,000, min_df 5, max_df 0.1) fitted
  once on the title + abstract of all papers; per author LinearSVC(class_weight="balanced",
  max_iter=10000, tol=1e-6, C=0.01) with the library as positives and every other paper (later
  period included, as arxiv-sanity trains on its whole database) as negatives; rank by
  decision_function. dual=True, the solver arxiv-sanity ran with (scikit-learn < 1.5; the same
  optimum, faster here). Variants: C=0.1 (the value of serve.py in other versions); negatives
  from the earlier period only; author names in the text (compute.py does that: here it leaks
  the answer, since the targets are found by author name; shown as a diagnostic only).
- centroid: cosine to the mean of the library's embeddings (papersift's `Library.more_like`).
- svm-emb: the SVM recipe on the embeddings (dual="auto", the faster solver for 384 features).
- max-sim / top-k mean: the largest (mean of the k largest) cosines to the library's papers.
- soft-max emb: `recommend.semantic_scores`, t * log mean exp(cos / t) over the library.
- soft-max lexical: `recommend.lexical_scores` over `recommend.term_weights` (sublinear tf,
  idf ** power, unit rows) of `recommend.terms_and_pairs`: papersift's index terms (stemmed words
  without stop words, `search.tokens`) and pairs of adjacent terms, of title + abstract, counted
  over all papers (terms in < 2 papers dropped). Diagnostics: words only with idf ** 1 (textbook
  tf-idf on papersift's terms), and the soft maximum over arxiv-sanity's own tf-idf features.
- hybrid (shipped): `recommend.scores` with its constants: the z-scored blend of the two soft
  maxima (the constants must equal the dev choice; the script says when they do not). Variant:
  document frequencies over the library + the candidates only, as `Library.recommendations`
  computes them (its time includes weighting the candidates' terms for each author).
Time per user: wall milliseconds of one author's ranking (SVMs: fit on all papers + scoring the
candidates), features built once beforehand (as arxiv-sanity's compute.py and a digest run do),
median and mean; one core of a shared 2-core box. Also printed: recall by library size, the
shipped method minus each other with a 95% bootstrap interval (resampling test authors), and the
top 3 with their reasons (closest saved papers, telling words) for --examples test authors.

Run:   nice -n 10 .venv/bin/python bench/bench_recommend.py --db /tmp/loadtest/arxiv75k.db
           [--split 2026-04-01] [--dev-authors 1500] [--test-authors 800] [--seed 0] [--quick]
       --db: a library of the crawl with embeddings (bench_semantic.py --cache builds one).
       --quick: a smoke test without --db: a library it builds of 30 demo papers (the 3 most prolific
       demo authors' 3 first and 3 last papers, and others), 1 dev and 2 test authors (~1 min);
       with --db: 40 dev and 20 test authors, to check the script (~4 min). --test-authors 0: only tune.
The default run takes ~1.5 h on 2 shared cores, nearly all of it in the SVMs (3.4 s per author
for the embedding SVM). Needs the `bench` extra (scikit-learn). Deterministic (seeded shuffle,
LinearSVC random_state=0). Exit 0 when done.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import _common
import numpy as np
from scipy import sparse

from papersift import Library
from papersift.members import recommend
from papersift.search.tokens import STOP_WORDS, stem, term_matches, words

TOP = 50
MIN_PAPERS, MIN_BEFORE, MIN_AFTER = 6, 3, 1
ARXIV_SANITY_C = 0.01
K_GRID = (1, 2, 3, 5, 10)
TEMPERATURE_GRID = (0.01, 0.02, 0.03, 0.05, 0.1, 0.2)
IDF_POWER_GRID = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0)
WEIGHT_GRID = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
SIZE_BUCKETS = ((3, 5), (6, 10), (11, 30), (31, 10_000))
TFIDF_MIN_DF, TFIDF_MAX_DF = 5, 0.1  # arxiv-sanity-lite's
QUICK_PAPERS = 30

Ranker = Callable[[np.ndarray], np.ndarray]  # library rows (into all papers) -> candidate scores


@dataclass
class Crawl:
    ids: list[str]
    titles: list[str]
    texts: list[str]  # title + " " + abstract
    authors: list[tuple[str, ...]]
    published: np.ndarray  # ordinal dates
    vectors: np.ndarray  # papers x 384, unit rows, in the order above


def load(db: Path) -> Crawl:
    lib = Library.open(db)
    semantic = _common.semantic_index(lib)
    assert semantic is not None
    row_of_pk: dict[int, int] = {}
    ids, titles, texts, authors, published = [], [], [], [], []
    for row, item in enumerate(lib.store.iter_papers()):
        paper = item.paper
        row_of_pk[item.pk] = row
        ids.append(paper.id)
        titles.append(paper.title)
        texts.append(f"{paper.title} {paper.abstract}")
        authors.append(paper.authors)
        published.append(paper.published.toordinal() if paper.published else 0)
    vectors = np.zeros((len(ids), semantic.dimension), dtype=np.float32)
    seen = np.zeros(len(ids), dtype=bool)
    for rows in lib.store.iter_embeddings(semantic.key):
        at = [row_of_pk[pk] for pk, _ in rows]
        vectors[at] = np.frombuffer(b"".join(blob for _, blob in rows), dtype="<f4").reshape(len(rows), -1)
        seen[at] = True
    if not seen.all():
        sys.exit(f"{int((~seen).sum())} papers have no embedding: run `papersift index` on a copy of {db}")
    return Crawl(ids, titles, texts, authors, np.asarray(published), vectors)


def author_key(name: str) -> str:
    return " ".join(words(name))


def qualifying_authors(crawl: Crawl, later: np.ndarray) -> dict[str, list[int]]:
    papers_of: dict[str, set[int]] = {}
    for row, names in enumerate(crawl.authors):
        for name in names:
            key = author_key(name)
            if key:
                papers_of.setdefault(key, set()).add(row)
    result = {}
    for key, rows in papers_of.items():
        after = sum(1 for r in rows if later[r])
        if len(rows) >= MIN_PAPERS and len(rows) - after >= MIN_BEFORE and after >= MIN_AFTER:
            result[key] = sorted(rows)
    return result


# -- features ----------------------------------------------------------------------------------


def arxiv_sanity_tfidf(texts: list[str]) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        input="content",
        encoding="utf-8",
        decode_error="replace",
        strip_accents="unicode",
        lowercase=True,
        analyzer="word",
        stop_words="english",
        token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
        ngram_range=(1, 2),
        max_features=20_000,
        norm="l2",
        use_idf=True,
        smooth_idf=True,
        sublinear_tf=True,
        max_df=TFIDF_MAX_DF,
        min_df=TFIDF_MIN_DF,
    )
    return vectorizer.fit_transform(texts).astype(np.float32).tocsr()


def papersift_terms(texts: list[str]) -> tuple[Any, list[str]]:
    """Counts of terms and adjacent pairs (papers x terms, CSR), as `recommend.terms_and_pairs` makes
    them from the keyword index's terms, and the vocabulary."""
    vocabulary: dict[str, int] = {}
    rows: list[int] = []
    columns: list[int] = []
    counts: list[int] = []
    for row, text in enumerate(texts):
        found = recommend.terms_and_pairs(
            [None if word in STOP_WORDS else stem(word) for word in words(text)]
        )
        for term, count in found.items():
            rows.append(row)
            columns.append(vocabulary.setdefault(term, len(vocabulary)))
            counts.append(count)
    matrix = sparse.csr_matrix(
        (np.asarray(counts, np.float32), (rows, columns)), shape=(len(texts), len(vocabulary))
    )
    return matrix, list(vocabulary)


def svm_scores(
    features: Any,
    positives: np.ndarray,
    c: float,
    dual: bool | str,
    score: Any,
    train: np.ndarray | None = None,
) -> Any:
    """arxiv-sanity-lite's svm_rank: the library against every other training row (all, or `train`)."""
    from sklearn.svm import LinearSVC

    labels = np.zeros(features.shape[0], dtype=np.float32)
    labels[positives] = 1.0
    classifier = LinearSVC(
        class_weight="balanced", max_iter=10_000, tol=1e-6, C=c, dual=dual, random_state=0, verbose=False
    )
    if train is None:
        classifier.fit(features, labels)
    else:
        classifier.fit(features[train], labels[train])
    return classifier.decision_function(score)


# -- scoring -----------------------------------------------------------------------------------


def recall_at(scores: np.ndarray, targets: np.ndarray) -> int:
    top = recommend.top_indices(scores, TOP)
    return int(np.isin(targets, top).sum())


def top_k_mean(cosines: np.ndarray, k: int) -> np.ndarray:
    k = min(k, cosines.shape[0])
    return np.asarray(np.sort(cosines, axis=0)[-k:].mean(axis=0))


@dataclass
class Split:
    candidates: np.ndarray  # rows into all papers
    position: dict[int, int]  # candidate row -> its position among the candidates
    earlier: np.ndarray  # rows of the earlier period


def library_and_targets(rows: list[int], later: np.ndarray, split: Split) -> tuple[np.ndarray, np.ndarray]:
    library = np.asarray([r for r in rows if not later[r]])
    targets = np.asarray([split.position[r] for r in rows if later[r]])
    return library, targets


def tune(
    dev: list[list[int]], later: np.ndarray, split: Split, crawl: Crawl, weights_by_power: dict[float, Any]
) -> dict[str, Any]:
    """Every setting chosen on the dev authors: macro recall@50 over the grids."""
    candidate_vectors = crawl.vectors[split.candidates]
    candidate_terms = {p: weights[split.candidates].tocsc() for p, weights in weights_by_power.items()}
    found: dict[tuple[Any, ...], float] = {}

    def count(key: tuple[Any, ...], scores: np.ndarray, targets: np.ndarray) -> None:
        found[key] = found.get(key, 0.0) + recall_at(scores, targets) / len(targets)

    for number, rows in enumerate(dev):
        print(f"  dev author {number + 1} of {len(dev)}", end="\r", file=sys.stderr, flush=True)
        library, targets = library_and_targets(rows, later, split)
        cosines = crawl.vectors[library] @ candidate_vectors.T
        for k in K_GRID:
            count(("top-k", k), top_k_mean(cosines, k), targets)
        semantic = {t: recommend.soft_maximum(cosines, t) for t in TEMPERATURE_GRID}
        lexical: dict[tuple[float, float], np.ndarray] = {}
        for power, weights in weights_by_power.items():
            lexical_cosines = np.asarray((weights[library] @ candidate_terms[power].T).toarray())
            lexical.update({(power, t): recommend.soft_maximum(lexical_cosines, t) for t in TEMPERATURE_GRID})
        for t, view in semantic.items():
            count(("semantic", t), view, targets)
        for (power, t), view in lexical.items():
            count(("lexical", power, t), view, targets)
        z_semantic = {t: recommend.standardise(v) for t, v in semantic.items()}
        z_lexical = {key: recommend.standardise(v) for key, v in lexical.items()}
        for ts, (power, tl), w in itertools.product(z_semantic, z_lexical, WEIGHT_GRID):
            count(
                ("hybrid", ts, power, tl, w), w * z_semantic[ts] + (1 - w) * z_lexical[(power, tl)], targets
            )
    print(file=sys.stderr)

    def best(kind: str) -> tuple[tuple[Any, ...], float]:
        # ties (rare) go to the smaller settings
        key = max((k for k in found if k[0] == kind), key=lambda k: (found[k], -sum(map(float, k[1:]))))
        return key, found[key] / len(dev)

    chosen = {kind: best(kind) for kind in ("top-k", "semantic", "lexical", "hybrid")}
    shipped = (
        "hybrid",
        recommend.SEMANTIC_TEMPERATURE,
        recommend.IDF_POWER,
        recommend.LEXICAL_TEMPERATURE,
        recommend.SEMANTIC_WEIGHT,
    )
    ranked = sorted((k for k in found if k[0] == "hybrid"), key=lambda k: -found[k])
    return {
        "chosen": chosen,
        "shipped": (shipped, found.get(shipped, float("nan")) / len(dev)),
        "runners-up": [(k, found[k] / len(dev)) for k in ranked[1:6]],
    }


# -- the run -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="a library of the crawl with its embeddings (required)")
    parser.add_argument("--split", type=date.fromisoformat, default=date(2026, 4, 1), help="(2026-04-01)")
    parser.add_argument("--dev-authors", type=int, default=1500, help="authors that tune settings (1500)")
    parser.add_argument(
        "--test-authors", type=int, default=800, help="authors the figures come from (800; 0: only tune)"
    )
    parser.add_argument("--seed", type=int, default=0, help="shuffles the authors (0)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: without --db a 30-paper demo library it builds, 1 dev and 2 test authors; "
        "with --db, 40 dev and 20 test authors",
    )
    parser.add_argument(
        "--examples", type=int, default=1, help="test authors whose top 3 are shown with reasons"
    )
    args = parser.parse_args()
    if args.quick:
        _common.quick_note()
        args.dev_authors, args.test_authors = 40, 20
        if args.db is None:
            global TFIDF_MIN_DF, TFIDF_MAX_DF
            TFIDF_MIN_DF, TFIDF_MAX_DF = 1, 1.0  # 5 papers / 10% of 30 leave no words
            args.dev_authors, args.test_authors = 1, 2
            with tempfile.TemporaryDirectory(prefix="bench-recommend-") as folder:
                args.db, args.split = quick_library(Path(folder))
                run(args)
            return
    elif args.db is None:
        parser.error("--db is required (or --quick)")
    run(args)


def quick_library(folder: Path) -> tuple[Path, date]:
    """A library of 30 demo papers where the 3 most prolific demo authors qualify (their first 3
    papers before the split, their last 3 after it), and the split."""
    with gzip.open(_common.DEMO_FILE, "rt", encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines]
    papers_of: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        for name in record["authors"]:
            papers_of.setdefault(name, []).append(record)
    prolific = sorted(papers_of, key=lambda name: -len(papers_of[name]))[:3]
    chosen: dict[str, dict[str, Any]] = {}
    first_dates = []
    for name in prolific:
        dated = sorted(papers_of[name], key=lambda record: record["first_seen_date"])
        chosen.update((record["id"], record) for record in dated[:3] + dated[-3:])
        first_dates.append(dated[2]["first_seen_date"])
    split = date.fromisoformat(max(first_dates)) + timedelta(days=1)
    for record in records:
        if len(chosen) >= QUICK_PAPERS:
            break
        chosen.setdefault(record["id"], record)
    source = folder / "recommend-quick.jsonl"
    source.write_text("".join(json.dumps(record) + "\n" for record in chosen.values()), encoding="utf-8")
    db = folder / "quick.db"
    with Library.open(db, embedding_model=_common.MODEL) as lib:
        report = lib.ingest([source])
    print(f"quick library: {report.added} demo papers ({', '.join(prolific)}), {report.embedded} embedded")
    return db, split


def run(args: argparse.Namespace) -> None:
    started = time.perf_counter()

    crawl = load(args.db)
    later = crawl.published >= args.split.toordinal()
    candidates = np.flatnonzero(later)
    split = Split(candidates, {int(r): i for i, r in enumerate(candidates)}, np.flatnonzero(~later))
    authors = qualifying_authors(crawl, later)
    names = sorted(authors)
    random.Random(args.seed).shuffle(names)
    dev_names = names[: args.dev_authors]
    test_names = names[args.dev_authors : args.dev_authors + args.test_authors]
    print(
        f"{len(crawl.ids):,} papers; split {args.split}: {len(split.earlier):,} earlier, {len(candidates):,} "
        f"candidates (later); {len(authors):,} authors with >= {MIN_PAPERS} papers, >= {MIN_BEFORE} before, "
        f">= {MIN_AFTER} after; dev {len(dev_names)}, test {len(test_names)} (seed {args.seed})"
    )
    sizes = [len(library_and_targets(authors[n], later, split)[0]) for n in test_names]
    targets_n = [len(library_and_targets(authors[n], later, split)[1]) for n in test_names]
    if test_names:
        print(
            f"test libraries: median {statistics.median(sizes)} papers (max {max(sizes)}); targets: median "
            f"{statistics.median(targets_n)}, {sum(targets_n)} in all"
        )

    clock = time.perf_counter()
    tfidf = arxiv_sanity_tfidf(crawl.texts)
    tfidf_seconds = time.perf_counter() - clock
    tfidf_authors = arxiv_sanity_tfidf(
        [f"{text} {' '.join(names_)}" for text, names_ in zip(crawl.texts, crawl.authors, strict=True)]
    )
    clock = time.perf_counter()
    counts, vocabulary = papersift_terms(crawl.texts)
    document_frequency = np.diff(counts.tocsc().indptr)
    weights = recommend.term_weights(counts, document_frequency, counts.shape[0])
    terms_seconds = time.perf_counter() - clock
    usable = int((document_frequency >= recommend.MIN_DOCUMENT_FREQUENCY).sum())
    print(
        f"features: arxiv-sanity tf-idf {tfidf.shape[1]:,} columns in {tfidf_seconds:.0f} s; papersift terms "
        f"and pairs {weights.shape[1]:,} ({usable:,} in >= {recommend.MIN_DOCUMENT_FREQUENCY} papers) in "
        f"{terms_seconds:.0f} s (both once per run, not per user)"
    )

    print(f"tuning on {len(dev_names)} dev authors ...", file=sys.stderr)
    weights_by_power = {
        p: recommend.term_weights(counts, document_frequency, counts.shape[0], idf_power=p)
        for p in IDF_POWER_GRID
    }
    tuned = tune([authors[n] for n in dev_names], later, split, crawl, weights_by_power)
    chosen = tuned["chosen"]
    (_, k), _ = chosen["top-k"]
    (_, t_semantic), _ = chosen["semantic"]
    (_, p_lexical, t_lexical), _ = chosen["lexical"]
    lexical_weights = weights_by_power[p_lexical]
    del weights_by_power
    shipped_key, shipped_dev = tuned["shipped"]
    print("dev (macro recall@50) of the settings chosen there:")
    print(f"  {'top-k':9} {'(k)':34} {chosen['top-k'][0][1:]!s:26} {chosen['top-k'][1]:.4f}")
    print(f"  {'semantic':9} {'(t)':34} {chosen['semantic'][0][1:]!s:26} {chosen['semantic'][1]:.4f}")
    print(f"  {'lexical':9} {'(idf power, t)':34} {chosen['lexical'][0][1:]!s:26} {chosen['lexical'][1]:.4f}")
    print(
        f"  {'hybrid':9} {'(t semantic, idf power, t lexical, w)':34} {chosen['hybrid'][0][1:]!s:26} "
        f"{chosen['hybrid'][1]:.4f}"
    )
    for key, value in tuned["runners-up"]:
        print(f"  {'':9} {'hybrid runner-up':34} {key[1:]!s:26} {value:.4f}")
    print(f"  shipped hybrid (recommend's constants): {shipped_key[1:]!s:26} {shipped_dev:.4f}")
    if shipped_key != chosen["hybrid"][0]:
        print("  note: the shipped constants differ from the dev choice (see recommendations.md)")
    if not test_names:
        sys.exit(0)  # --test-authors 0: tuning only

    # diagnostics: which part of the lexical view matters (pairs? idf power? features or the SVM?)
    is_word = np.asarray([" " not in term for term in vocabulary])
    word_counts = counts[:, np.flatnonzero(is_word)]
    words_only = recommend.term_weights(
        word_counts, document_frequency[is_word], counts.shape[0], idf_power=1.0
    )
    del word_counts
    candidate_counts = counts[candidates]

    def local_hybrid(lib: np.ndarray) -> np.ndarray:
        """Document frequencies over the library + the candidates only, as Library.recommendations
        counts them (it has the texts of those papers at hand), instead of over all papers."""
        rows = sparse.vstack([counts[lib], candidate_counts]).tocsr()
        local = recommend.term_weights(rows, np.diff(rows.tocsc().indptr), rows.shape[0])
        return recommend.scores(
            crawl.vectors[lib], candidate_vectors, local[: len(lib)], local[len(lib) :].tocsc()
        )

    words_only_candidates = words_only[candidates].tocsc()
    tfidf_candidates_csc = tfidf[candidates].tocsc()

    candidate_vectors = crawl.vectors[candidates]
    candidate_terms = weights[candidates].tocsc()  # once, as a digest run would (see lexical_scores)
    lexical_candidates = lexical_weights[candidates].tocsc()
    tfidf_candidates, tfidf_authors_candidates = tfidf[candidates], tfidf_authors[candidates]
    earlier_tfidf = tfidf[split.earlier]
    earlier_positions = {int(r): i for i, r in enumerate(split.earlier)}

    def embedding_cosines(library: np.ndarray) -> np.ndarray:
        return np.asarray(crawl.vectors[library] @ candidate_vectors.T)

    rankers: dict[str, Ranker] = {
        "svm-tfidf C=0.01 (arxiv-sanity-lite)": lambda lib: svm_scores(
            tfidf, lib, ARXIV_SANITY_C, True, tfidf_candidates
        ),
        "svm-tfidf C=0.1": lambda lib: svm_scores(tfidf, lib, 0.1, True, tfidf_candidates),
        "svm-tfidf, negatives earlier only": lambda lib: svm_scores(
            earlier_tfidf,
            np.asarray([earlier_positions[int(r)] for r in lib]),
            ARXIV_SANITY_C,
            True,
            tfidf_candidates,
        ),
        "svm-tfidf + author names (leaks)": lambda lib: svm_scores(
            tfidf_authors, lib, ARXIV_SANITY_C, True, tfidf_authors_candidates
        ),
        "centroid (papersift now)": lambda lib: candidate_vectors @ crawl.vectors[lib].mean(axis=0),
        "svm-emb C=0.01": lambda lib: svm_scores(
            crawl.vectors, lib, ARXIV_SANITY_C, "auto", candidate_vectors
        ),
        "max-sim (k=1)": lambda lib: embedding_cosines(lib).max(axis=0),
        f"top-k mean (k={k})": lambda lib: top_k_mean(embedding_cosines(lib), k),
        f"soft-max emb (t={t_semantic})": lambda lib: recommend.semantic_scores(
            crawl.vectors[lib], candidate_vectors, t_semantic
        ),
        f"soft-max lexical (idf^{p_lexical:g}, t={t_lexical})": lambda lib: recommend.lexical_scores(
            lexical_weights[lib], lexical_candidates, t_lexical
        ),
        "soft-max lexical, words only, idf^1": lambda lib: recommend.lexical_scores(
            words_only[lib], words_only_candidates
        ),
        "soft-max over arxiv-sanity's tf-idf": lambda lib: recommend.lexical_scores(
            tfidf[lib], tfidf_candidates_csc
        ),
        "hybrid (recommend.scores, shipped)": lambda lib: recommend.scores(
            crawl.vectors[lib], candidate_vectors, weights[lib], candidate_terms
        ),
        "hybrid, df over library + candidates": local_hybrid,
    }
    baseline, shipped = "svm-tfidf C=0.01 (arxiv-sanity-lite)", "hybrid (recommend.scores, shipped)"
    found = {name: np.zeros(len(test_names)) for name in rankers}
    millis: dict[str, list[float]] = {name: [] for name in rankers}
    wanted = np.zeros(len(test_names))
    for number, name in enumerate(test_names):
        print(f"  test author {number + 1} of {len(test_names)}", end="\r", file=sys.stderr, flush=True)
        library, targets = library_and_targets(authors[name], later, split)
        wanted[number] = len(targets)
        for method, ranker in rankers.items():
            clock = time.perf_counter()
            scores = np.asarray(ranker(library), dtype=np.float64)
            millis[method].append((time.perf_counter() - clock) * 1000)
            found[method][number] = recall_at(scores, targets)
    print(file=sys.stderr)

    recall = {name: hits / wanted for name, hits in found.items()}
    print(
        f"\nrecall@{TOP} on {len(test_names)} test authors ({int(wanted.sum())} targets) among "
        f"{len(candidates):,} candidates; ms per user (median / mean)"
    )
    print(f"{'method':40}{'macro':>8}{'micro':>8}{'ms med':>9}{'ms mean':>9}")
    for name in rankers:
        micro = found[name].sum() / wanted.sum()
        print(
            f"{name:40}{recall[name].mean():>8.4f}{micro:>8.4f}"
            f"{statistics.median(millis[name]):>9.1f}{statistics.fmean(millis[name]):>9.1f}"
        )

    size = np.asarray(sizes)
    print("\nmacro recall@50 by library size (authors):")
    bucket_names = [f"{low}-{high}" if high < 10_000 else f">={low}" for low, high in SIZE_BUCKETS]
    masks = [(size >= low) & (size <= high) for low, high in SIZE_BUCKETS]
    print(
        f"{'method':40}"
        + "".join(
            f"{b + ' (' + str(int(m.sum())) + ')':>13}" for b, m in zip(bucket_names, masks, strict=True)
        )
    )
    for name in rankers:
        cells = "".join(f"{recall[name][m].mean() if m.any() else float('nan'):>13.4f}" for m in masks)
        print(f"{name:40}{cells}")

    print(f"\n{shipped} minus other, macro recall@50, 95% bootstrap interval resampling test authors:")
    rng = np.random.default_rng(args.seed)
    draws = rng.integers(0, len(test_names), size=(10_000, len(test_names)))
    for name in rankers:
        if name == shipped:
            continue
        difference = recall[shipped] - recall[name]
        low, high = np.percentile(difference[draws].mean(axis=1), [2.5, 97.5])
        better, worse = int((difference > 0).sum()), int((difference < 0).sum())
        print(
            f"  vs {name:40}{difference.mean():+.4f} [{low:+.4f}, {high:+.4f}]  better/worse {better}/{worse}"
        )

    for name in test_names[: args.examples]:
        show_example(name, authors[name], later, split, crawl, weights, vocabulary)
    print(f"\n({time.perf_counter() - started:.0f} s in all)")
    verdict = "beats" if recall[shipped].mean() > recall[baseline].mean() else "does NOT beat"
    print(f"{shipped} {verdict} {baseline} on macro recall@{TOP}")
    sys.exit(0)


def show_example(
    name: str,
    rows: list[int],
    later: np.ndarray,
    split: Split,
    crawl: Crawl,
    weights: Any,
    vocabulary: list[str],
) -> None:
    """The top 3 for one test author with the reasons a digest would show."""
    library, targets = library_and_targets(rows, later, split)
    candidates = split.candidates
    order, _ = recommend.rank(
        crawl.vectors[library], crawl.vectors[candidates], 3, weights[library], weights[candidates]
    )
    print(f"\nexample: {name!r}, {len(library)} saved papers; top 3 (* = their own later paper):")
    for position in order:
        row = int(candidates[position])
        seeds = recommend.closest_seeds(crawl.vectors[library], crawl.vectors[row], k=2)
        terms = recommend.telling_words(weights[library], weights[row], vocabulary, k=3)
        text = crawl.texts[row]
        shown = [as_written(term, text) for term in terms]
        mark = "*" if position in set(targets.tolist()) else " "
        print(f" {mark} {crawl.titles[row][:90]}")
        print(f"     close to: {' | '.join(crawl.titles[int(library[s])][:60] for s in seeds)}")
        print(f"     words: {', '.join(shown)}")


def as_written(term: str, text: str) -> str:
    """A term (a stem) or a pair of them as the text writes it: "graph neural" -> "Graph Neural"."""
    parts = term.split(" ")
    spans = [term_matches(text, {part}) for part in parts]
    if len(parts) == 2:
        for start, end in spans[0]:  # the first place where the second word follows the first
            for second_start, second_end in spans[1]:
                if second_start > end and not text[end:second_start].strip(" -"):
                    return text[start:second_end]
    return " ".join(
        text[found[0][0] : found[0][1]] if found else part for part, found in zip(parts, spans, strict=True)
    )


if __name__ == "__main__":
    main()
