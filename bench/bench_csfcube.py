"""Measure "similar papers" on CSFCube, and "more like these" (centroid against linear SVMs).

Why: `Library.similar` (one paper) and `Library.more_like` (a set of saved papers) rank by the
cosine to an embedding (all-MiniLM-L6-v2 of title and abstract), the second by the centroid of the
set's embeddings. Are those rankings good, and would a per-request linear SVM, arxiv-sanity-lite's
way, rank a set better? docs/notes/more-like-these.md holds the figures and the decision.

CSFCube (Mysore et al., 2021; CC BY-NC 4.0: used here for evaluation only, nothing of it goes into
the repository) has 50 (query paper, facet) pairs, facet one of background / method / result,
each with a pool of 88-253 candidate abstracts graded 0-3 by experts for that facet. The 4,205
abstracts are imported through `Library.ingest` as JSON Lines (`{"id": paper_id, ...}`; the
numeric ids become the papers' ids, which is checked) and embedded; the library is cached under
--cache so a rerun does not embed again.

Part 1 (always): each query's pool is ranked by `lib.similar(query, limit=len(pool),
within=pool)` and, as a baseline, by BM25 (bm25s, stemmed, stop words removed, k1=1.5 b=0.75,
statistics over all 4,205 abstracts) of the query's title and abstract against each candidate.
Candidates that `similar` leaves out as duplicates (same title, or cosine >= 0.995, of the query
or of a better-ranked candidate) are put at the end, so every ranking covers the whole pool.
"cosine" is the same ranking without that duplicate filter. The metric follows CSFCube's
eval_scripts/ranking_eval.py: NDCG@20 with the adjudicated grades as linear gains, the rank_metrics
discount (1, 1, 1/log2 3, ...), the ideal from the pool's own grades, and the test figure as the
mean of the two cross-validation test folds of evaluation_splits.json ("all" pools the three
facets' 50 queries). One departure: query 8781666 is in its own pool (both facets, graded 3); it
is left out, else BM25 and cosine would rank it first and `similar`, which never returns the
paper itself, last. trec_eval's ndcg_cut_20 (pytrec_eval: discount 1/log2(rank + 1), plain mean
over queries) is printed beside it. CSFCube's relevance is facet-specific while papersift's
similarity uses the whole abstract, so a facet-agnostic ranking is expected to trail models
trained for facets; the point is similar against BM25 on the same pools.

Part 2 (--more-like): for each query with enough candidates graded >= 2 (the official binary
threshold), seeds = the query paper + n of those (n = 0..3; up to --draws random draws, fixed
seed); the rest of the pool is ranked and scored against its grades (NDCG@20 as above, recall@20
of grade >= 2). Rankers: the centroid (`lib.more_like(seeds, within=rest)`); a LinearSVC over the
embeddings of all 4,205 papers with the seeds as positives and every other paper as a negative,
ranking by decision function (arxiv-sanity-lite's serve.py: class_weight="balanced",
max_iter=10000, tol=1e-6, C=0.01 by default; C 0.1 and 1 also run); the same SVM over
arxiv-sanity-lite's tf-idf features (compute.py's TfidfVectorizer settings). Diagnostics: the
centroid without the duplicate filter, and with the library's mean vector taken out of every
embedding ("centred"). Differences to the centroid come with a 95% bootstrap interval that
resamples queries (or claims), the unit that is independent. Then SciFact
(BEIR; the corpus is imported as bench_scifact.py does), leave one out: for every claim with two
or more relevant abstracts (train and test qrels, nothing is trained on them), each of those is
held out in turn, the others are the seeds, the whole corpus is ranked; hit@10, MRR@100.

Part 3 (--timing): one request's cost at --papers (75,000) papers: random unit 384-d vectors for
the centroid (papersift's `VectorIndex`, exact below 100k) and the embedding SVM; the first
--papers arXiv abstracts of the shared crawl for the tf-idf SVM (features built once, as
arxiv-sanity-lite does; each request fits an SVM over all of them). Each SVM is timed with
scikit-learn's default dual="auto" and with dual=True, the default arxiv-sanity-lite ran with.

Run:   .venv/bin/python bench/bench_csfcube.py [--data PATH] [--cache DIR]
       .venv/bin/python bench/bench_csfcube.py --more-like [--draws 5]
       .venv/bin/python bench/bench_csfcube.py --timing [--papers 75000] --skip-similar
       .venv/bin/python bench/bench_csfcube.py --quick   # smoke test, all three parts on tiny
           input in a temporary folder (--cache is not used): one query-facet of each facet with
           its pool cut to 4 relevant candidates and 1 other; SciFact's first train claim with 3
           or more relevant abstracts and first with 2, among 12; --timing at 300 papers
Needs the `bench` extra (bm25s, pytrec-eval-terrier, scikit-learn) and the embedding model.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import math
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import _common
import numpy as np
from _common import add_data_argument, arxiv_subset

FACETS = ("background", "method", "result")
RELEVANT = 2  # ranking_eval.py's threshold_grade: grades >= 2 count as relevant for recall and MAP
K = 20
SEED_COUNTS = (0, 1, 2, 3)
SVM_CS = (0.01, 0.1, 1.0)
ARXIV_SANITY_C = 0.01
Qrels = dict[str, dict[str, int]]  # "queryid_facet" -> candidate id -> grade 0..3
TFIDF_MIN_DF = 5  # arxiv-sanity-lite's; a --quick run's dozen abstracts need 1


def emit(**figures: Any) -> None:
    print(json.dumps(figures), flush=True)


# -- data -------------------------------------------------------------------------------------


def load_csfcube(folder: Path) -> tuple[dict[str, dict[str, str]], Qrels, dict[str, dict[str, list[str]]]]:
    """Abstracts by id, graded pools by "queryid_facet", and the official cross-validation folds."""
    if not (folder / "abstracts.jsonl.gz").exists():
        sys.exit(f"missing {folder}/abstracts.jsonl.gz: pass --data or set PAPERSIFT_SHARED_DATA")
    papers = {}
    with gzip.open(folder / "abstracts.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            papers[record["paper_id"]] = {
                "title": record["title"],
                "abstract": record["abstract"],
                "year": str(record.get("year") or ""),
            }
    qrels: Qrels = {}
    for facet in FACETS:
        with open(folder / f"test-pid2anns-csfcube-{facet}.json", encoding="utf-8") as file:
            for query, pool in json.load(file).items():
                grades = dict(zip(pool["cands"], pool["relevance_adju"], strict=True))
                grades.pop(query, None)  # 8781666 is in its own pool: see the module docstring
                qrels[f"{query}_{facet}"] = grades
    with open(folder / "evaluation_splits.json", encoding="utf-8") as file:
        splits: dict[str, dict[str, list[str]]] = json.load(file)
    unknown = {c for pool in qrels.values() for c in pool} | {query_of(key) for key in qrels}
    assert unknown <= papers.keys(), sorted(unknown - papers.keys())[:5]
    return papers, qrels, splits


def query_of(key: str) -> str:
    return key.rsplit("_", 1)[0]


def open_csfcube_library(papers: dict[str, dict[str, str]], cache: Path):  # type: ignore[no-untyped-def]
    """The CSFCube abstracts in a papersift library under `cache`, embedded (once)."""
    from papersift import Library

    cache.mkdir(parents=True, exist_ok=True)
    source = cache / "csfcube.jsonl"
    with open(source, "w", encoding="utf-8") as out:
        for paper_id, paper in papers.items():
            record: dict[str, Any] = {"id": paper_id, "title": paper["title"], "abstract": paper["abstract"]}
            if paper["year"].isdigit():  # two records say "None"
                record["year"] = int(paper["year"])
            out.write(json.dumps(record) + "\n")
    lib = Library.open(cache / "csfcube.db")
    started = time.perf_counter()
    report = lib.ingest([source])
    if report.rejected:
        sys.exit(f"rejected records: {report.rejected[:3]}")
    wrong = [paper_id for paper_id in papers if lib.paper(paper_id).id != paper_id]
    emit(
        bench="csfcube-import",
        papers=len(papers),
        added=report.added,
        seconds=round(time.perf_counter() - started, 1),
        ids_kept=len(papers) - len(wrong),
        embedded=lib.stats()["embedded"],
    )
    assert not wrong, wrong[:5]
    return lib


def embeddings(lib, ids: Sequence[str]) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The stored unit embeddings of these papers, one row each, in order."""
    semantic = _common.semantic_index(lib)
    pks = [_common.paper_pk(lib, paper_id) for paper_id in ids]
    vectors = semantic.vectors_of(pks)
    assert len(vectors) == len(pks), "some papers are not embedded"
    matrix = np.stack([vectors[pk] for pk in pks]).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix


# -- metrics ----------------------------------------------------------------------------------


def dcg(gains: Sequence[float], k: int) -> float:
    """rank_metrics.dcg_at_k(method=0), which CSFCube's ranking_eval.py uses: 1, 1, 1/log2(3), ..."""
    return sum(gain / max(1.0, math.log2(rank + 1)) for rank, gain in enumerate(gains[:k]))


def ndcg(gains: Sequence[float], k: int = K) -> float:
    """rank_metrics.ndcg_at_k: the ideal is the ranked list's own gains sorted (the whole pool)."""
    ideal = dcg(sorted(gains, reverse=True), k)
    return dcg(gains, k) / ideal if ideal else 0.0


def recall(gains: Sequence[float], k: int = K) -> float:
    relevant = [g >= RELEVANT for g in gains]
    return sum(relevant[:k]) / sum(relevant) if any(relevant) else 0.0


def average_precision(gains: Sequence[float]) -> float:
    hits, total = 0, 0.0
    for rank, gain in enumerate(gains, 1):
        if gain >= RELEVANT:
            hits += 1
            total += hits / rank
    return total / hits if hits else 0.0


def check_metrics() -> None:
    """rank_metrics' own doctest values (the Stanford CS276 handout example)."""
    assert abs(dcg([3, 2, 3, 0, 0, 1, 2, 2, 3, 0], 10) - 9.6051177391888114) < 1e-9
    assert abs(ndcg([2, 1, 2, 0], 4) - 0.9203032077642922) < 1e-12
    assert ndcg([0], 1) == 0.0 and ndcg([1], 2) == 1.0
    assert recall([0, 2, 0, 3], 2) == 0.5 and abs(average_precision([0, 2, 0, 3]) - 0.5) < 1e-12


def official_mean(per_query: dict[str, float], splits: dict[str, dict[str, list[str]]], facet: str) -> float:
    """ranking_eval.py's test figure: the mean of the two test folds' means."""
    folds = splits[facet]
    return statistics.fmean(
        statistics.fmean(per_query[q] for q in folds[f]) for f in ("fold1_test", "fold2_test")
    )


def trec_ndcg20(runs: dict[str, list[str]], qrels: Qrels) -> dict[str, float]:
    """pytrec_eval's ndcg_cut_20 per query (trec_eval's discount, ideal from the qrels)."""
    import pytrec_eval

    scored = {q: {doc: float(len(docs) - rank) for rank, doc in enumerate(docs)} for q, docs in runs.items()}
    evaluated = pytrec_eval.RelevanceEvaluator({q: qrels[q] for q in runs}, {"ndcg_cut.20"}).evaluate(scored)
    return {q: evaluated[q]["ndcg_cut_20"] for q in runs}


# -- part 1: similar against BM25 ------------------------------------------------------------


def complete(ranked: list[str], pool: Sequence[str]) -> list[str]:
    """The ranking followed by the pool's candidates it left out (by id, a fixed order)."""
    seen = set(ranked)
    return ranked + sorted(c for c in pool if c not in seen)


class BM25:
    """bm25s over every abstract (title + abstract), scoring a query paper's text against any ids."""

    def __init__(self, papers: dict[str, dict[str, str]]) -> None:
        import bm25s
        import Stemmer

        self.bm25s = bm25s
        self.stemmer = Stemmer.Stemmer("english")
        self.ids = list(papers)
        self.row = {paper_id: row for row, paper_id in enumerate(self.ids)}
        self.retriever = bm25s.BM25()  # k1=1.5, b=0.75, Lucene idf
        self.retriever.index(self.tokens([text(papers[i]) for i in self.ids]), show_progress=False)

    def tokens(self, texts: list[str]) -> Any:
        return self.bm25s.tokenize(texts, stopwords="en", stemmer=self.stemmer, show_progress=False)

    def rank(self, query_text: str, pool: Sequence[str]) -> list[str]:
        words = self.bm25s.tokenize(
            [query_text], stopwords="en", stemmer=self.stemmer, return_ids=False, show_progress=False
        )[0]
        scores = self.retriever.get_scores(words)
        return sorted(pool, key=lambda c: (-float(scores[self.row[c]]), c))


def text(paper: dict[str, str]) -> str:
    return paper["title"] + " " + paper["abstract"]


def similar_part(lib, papers, qrels: Qrels, splits, vectors: dict[str, np.ndarray]) -> None:  # type: ignore[no-untyped-def]
    bm25 = BM25(papers)
    runs: dict[str, dict[str, list[str]]] = {"similar": {}, "cosine": {}, "bm25": {}}
    dropped, timings = 0, []
    for key, grades in qrels.items():
        query, pool = query_of(key), list(grades)
        started = time.perf_counter()
        hits = lib.similar(query, limit=len(pool), within=pool)
        timings.append(time.perf_counter() - started)
        found = [hit.paper.id for hit in hits]
        dropped += len(pool) - len(found)
        runs["similar"][key] = complete(found, pool)
        scores = {c: float(vectors[c] @ vectors[query]) for c in pool}
        runs["cosine"][key] = sorted(pool, key=lambda c: (-scores[c], c))
        runs["bm25"][key] = bm25.rank(text(papers[query]), pool)
    table: dict[str, dict[str, tuple[float, float]]] = {}
    for name, run in runs.items():
        gains = {q: [qrels[q][c] for c in ranked] for q, ranked in run.items()}
        metric = {
            "ndcg@20": {q: ndcg(g) for q, g in gains.items()},
            "ndcg%20": {q: ndcg(g, int(0.2 * len(g))) for q, g in gains.items()},
            "map": {q: average_precision(g) for q, g in gains.items()},
        }
        trec = trec_ndcg20(run, qrels)
        for facet in (*FACETS, "all"):
            keys = [q for q in run if facet == "all" or q.endswith("_" + facet)]
            figures = {
                name: round(official_mean(values, splits, facet), 4) for name, values in metric.items()
            }
            trec_mean = statistics.fmean(trec[q] for q in keys)
            table.setdefault(facet, {})[name] = (figures["ndcg@20"], trec_mean)
            emit(
                bench="csfcube-similar",
                facet=facet,
                ranker=name,
                queries=len(keys),
                **figures,
                trec_ndcg_cut_20=round(trec_mean, 4),
            )
    print(
        f"\nCSFCube test, NDCG@20 (ranking_eval.py's; in brackets trec_eval's ndcg_cut_20). "
        f"similar left {dropped} of {sum(map(len, qrels.values()))} candidates out as duplicates "
        f"(ranked last); {statistics.median(timings) * 1000:.1f} ms median a query"
    )
    print(f"{'facet':12}{'queries':>8}{'similar':>18}{'BM25 (bm25s)':>18}{'cosine, no dedup':>20}")
    for facet, row in table.items():
        count = sum(1 for q in qrels if facet == "all" or q.endswith("_" + facet))
        cells = "".join(f"{row[n][0]:>10.4f} ({row[n][1]:.4f})" for n in ("similar", "bm25", "cosine"))
        print(f"{facet:12}{count:>8}{cells}")


# -- part 2: more like these ------------------------------------------------------------------

Ranker = Callable[[list[str], list[str]], list[str]]  # (seeds, candidates) -> ranked candidates


class Rankers:
    """Everything that ranks candidates for a set of seed papers, over one library."""

    def __init__(self, lib, ids: list[str], papers: dict[str, dict[str, str]]) -> None:  # type: ignore[no-untyped-def]
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.lib = lib
        self.ids = ids
        self.row = {paper_id: row for row, paper_id in enumerate(ids)}
        self.vectors = embeddings(lib, ids)
        # A diagnostic: the same cosine once the library's mean vector is taken out.
        self.centred = self.vectors - self.vectors.mean(axis=0)
        self.centred /= np.linalg.norm(self.centred, axis=1, keepdims=True)
        self.tfidf = arxiv_sanity_tfidf(TfidfVectorizer).fit_transform([text(papers[i]) for i in ids])
        self.tfidf = self.tfidf.astype(np.float32)

    def all(self) -> dict[str, Ranker]:
        rankers: dict[str, Ranker] = {
            "centroid": self.centroid,
            "centroid, no dedup": lambda s, r: self.raw_centroid(self.vectors, s, r),
            "centroid, centred": lambda s, r: self.raw_centroid(self.centred, s, r),
        }
        for c in SVM_CS:
            rankers[f"svm-emb C={c:g}"] = lambda s, r, c=c: self.svm(self.vectors, s, r, c)
        for c in SVM_CS:
            rankers[f"svm-tfidf C={c:g}"] = lambda s, r, c=c: self.svm(self.tfidf, s, r, c)
        return rankers

    def centroid(self, seeds: list[str], rest: list[str]) -> list[str]:
        hits = self.lib.more_like(seeds, limit=len(rest), within=rest)
        return complete([hit.paper.id for hit in hits], rest)

    def raw_centroid(self, vectors: np.ndarray, seeds: list[str], rest: list[str]) -> list[str]:
        centre = vectors[[self.row[s] for s in seeds]].mean(axis=0)
        scores = vectors[[self.row[c] for c in rest]] @ centre
        return [rest[i] for i in np.argsort(-scores, kind="stable")]

    def svm(self, features: Any, seeds: list[str], rest: list[str], c: float) -> list[str]:
        scores = svm_scores(features, [self.row[s] for s in seeds], c)[[self.row[r] for r in rest]]
        return [rest[i] for i in np.argsort(-scores, kind="stable")]


def arxiv_sanity_tfidf(vectorizer: Any, max_features: int = 10_000) -> Any:
    """arxiv-sanity-lite's compute.py features (its defaults: 10k features, min_df 5, max_df 0.5)."""
    return vectorizer(
        input="content",
        encoding="utf-8",
        decode_error="replace",
        strip_accents="unicode",
        lowercase=True,
        analyzer="word",
        stop_words="english",
        token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
        ngram_range=(1, 2),
        max_features=max_features,
        norm="l2",
        use_idf=True,
        smooth_idf=True,
        sublinear_tf=True,
        max_df=0.5,
        min_df=TFIDF_MIN_DF,
    )


def svm_scores(features: Any, positives: list[int], c: float, dual: bool | str = "auto") -> np.ndarray:
    """arxiv-sanity-lite's svm_rank: positives against every other paper, decision function of all."""
    from sklearn.svm import LinearSVC

    y = np.zeros(features.shape[0], dtype=np.float32)
    y[positives] = 1.0
    classifier = LinearSVC(class_weight="balanced", max_iter=10_000, tol=1e-6, C=c, dual=dual)
    classifier.fit(features, y)
    scores: np.ndarray = classifier.decision_function(features)
    return scores


def draws_of(relevant: list[str], n: int, draws: int, rng: random.Random) -> list[tuple[str, ...]]:
    combos = list(itertools.combinations(relevant, n))
    return combos if len(combos) <= draws else rng.sample(combos, draws)


def bootstrap_interval(differences: list[float], rounds: int = 10_000, seed: int = 0) -> tuple[float, float]:
    """95% percentile bootstrap interval of a mean of paired differences (resampling queries)."""
    rng = np.random.default_rng(seed)
    values = np.asarray(differences)
    means = values[rng.integers(0, len(values), size=(rounds, len(values)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def more_like_csfcube(lib, papers, qrels: Qrels, draws: int, seed: int) -> None:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    rankers = Rankers(lib, list(papers), papers)
    named = rankers.all()
    # per (n, ranker, metric): query key -> mean over that query's draws
    results: dict[tuple[int, str, str], dict[str, float]] = {}
    draw_counts = dict.fromkeys(SEED_COUNTS, 0)
    for done, (key, grades) in enumerate(qrels.items()):
        print(f"  query-facet {done + 1} of {len(qrels)}", end="\r", file=sys.stderr, flush=True)
        query = query_of(key)
        relevant = sorted(c for c, g in grades.items() if g >= RELEVANT)
        for n in SEED_COUNTS:
            if len(relevant) < n + 1:  # at least one relevant candidate must remain to be found
                continue
            chosen_sets = draws_of(relevant, n, draws, random.Random(f"{seed}:{key}:{n}"))
            draw_counts[n] += len(chosen_sets)
            per_draw: dict[tuple[str, str], list[float]] = {}
            for chosen in chosen_sets:
                seeds = [query, *chosen]
                rest = [c for c in grades if c not in chosen]
                for name, ranker in named.items():
                    gains = [grades[c] for c in ranker(seeds, rest)]
                    per_draw.setdefault((name, "ndcg@20"), []).append(ndcg(gains))
                    per_draw.setdefault((name, "recall@20"), []).append(recall(gains))
            for (name, metric), values in per_draw.items():
                results.setdefault((n, name, metric), {})[key] = statistics.fmean(values)
    print(
        f"\nCSFCube more-like-these: seeds = the query paper + n of its candidates graded >= {RELEVANT}, "
        f"up to {draws} draws each; the rest of the pool ranked ({time.perf_counter() - started:.0f} s)"
    )
    print("mean over query-facets of the mean over draws: NDCG@20 / recall@20")
    header = "".join(f"{'n=' + str(n):>16}" for n in SEED_COUNTS) + f"{'n=1..3':>16}"
    print(f"{'ranker':22}{header}")
    counts = "".join(
        f"{len(results.get((n, 'centroid', 'ndcg@20'), {})):>7} q {draw_counts[n]:>4} d" for n in SEED_COUNTS
    )
    print(f"{'(queries, draws)':22}{counts}")
    pooled: dict[tuple[str, str], dict[tuple[int, str], float]] = {}
    for name in named:
        cells = []
        for n in SEED_COUNTS:
            nd, rc = results[(n, name, "ndcg@20")], results[(n, name, "recall@20")]
            cells.append(f"{statistics.fmean(nd.values()):>9.4f}/{statistics.fmean(rc.values()):.2f}")
            for metric, values in (("ndcg@20", nd), ("recall@20", rc)):
                pooled.setdefault((name, metric), {}).update({(n, q): v for q, v in values.items() if n})
            emit(
                bench="csfcube-more-like",
                seeds_beside_query=n,
                ranker=name,
                queries=len(nd),
                draws=draw_counts[n],
                ndcg_at_20=round(statistics.fmean(nd.values()), 4),
                recall_at_20=round(statistics.fmean(rc.values()), 4),
            )
        both = pooled[(name, "ndcg@20")], pooled[(name, "recall@20")]
        cells.append(f"{statistics.fmean(both[0].values()):>9.4f}/{statistics.fmean(both[1].values()):.2f}")
        print(f"{name:22}{''.join(cells)}")
    print(
        "NDCG@20 of centroid - other, n=1..3, per query-facet (mean over its n), mean over them "
        "and a 95% bootstrap interval resampling query-facets:"
    )
    base = pooled[("centroid", "ndcg@20")]
    for name in named:
        if name == "centroid":
            continue
        other = pooled[(name, "ndcg@20")]
        by_query: dict[str, list[float]] = {}
        for (n, key), value in base.items():
            by_query.setdefault(key, []).append(value - other[(n, key)])
        differences = [statistics.fmean(values) for values in by_query.values()]
        low, high = bootstrap_interval(differences)
        wins = sum(d > 1e-12 for d in differences)
        losses = sum(d < -1e-12 for d in differences)
        print(
            f"  vs {name:20} {statistics.fmean(differences):+.4f}  [{low:+.4f}, {high:+.4f}]  "
            f"centroid better for {wins}, worse for {losses} of {len(differences)} query-facets"
        )
        emit(
            bench="csfcube-more-like-paired",
            versus=name,
            mean_difference=round(statistics.fmean(differences), 4),
            interval95=[round(low, 4), round(high, 4)],
            wins=wins,
            losses=losses,
            queries=len(differences),
        )


def more_like_scifact(data: Path, cache: Path, quick: bool = False) -> None:
    from bench_scifact import import_corpus, load

    corpus, _, test, train = load(data / "bench" / "scifact")
    if quick:  # the first train claim with 3+ relevant abstracts, the first with 2, among 12
        relevant = {q: sum(g > 0 for g in d.values()) for q, d in train.items()}
        picked = [next(q for q in train if relevant[q] >= 3), next(q for q in train if relevant[q] == 2)]
        train = {q: train[q] for q in picked}
        test = {}
        wanted = {d for docs in train.values() for d in docs}
        for doc in corpus:
            if len(wanted) >= 12:
                break
            wanted.add(doc["_id"])
        corpus = [doc for doc in corpus if doc["_id"] in wanted]
    folder = cache / "scifact"
    folder.mkdir(parents=True, exist_ok=True)
    lib = import_corpus(corpus, folder)
    started = time.perf_counter()
    papers = {doc["_id"]: {"title": doc["title"], "abstract": doc["text"]} for doc in corpus}
    rankers = Rankers(lib, list(papers), papers)
    named = rankers.all()
    del named["centroid, no dedup"]
    claims = [
        sorted(d for d, g in docs.items() if g > 0)
        for docs in itertools.chain(train.values(), test.values())
        if sum(g > 0 for g in docs.values()) >= 2
    ]
    everything = list(papers)
    # ranker -> (claim number, seeds beside the held-out one, hit@10, reciprocal rank within 100)
    cases: dict[str, list[tuple[int, int, float, float]]] = {name: [] for name in named}
    for number, docs in enumerate(claims):
        print(f"  claim {number + 1} of {len(claims)}", end="\r", file=sys.stderr, flush=True)
        for held_out in docs:
            seeds = [d for d in docs if d != held_out]
            for name, ranker in named.items():
                if name == "centroid":
                    ranked = [hit.paper.id for hit in lib.more_like(seeds, limit=100)]
                else:
                    ranked = ranker(seeds, [d for d in everything if d not in seeds])[:100]
                rank = ranked.index(held_out) + 1 if held_out in ranked else None
                hit = 1.0 if rank and rank <= 10 else 0.0
                cases[name].append((number, len(seeds), hit, 1.0 / rank if rank else 0.0))
    groups: dict[str, Callable[[int], bool]] = {
        "1 seed": lambda n: n == 1,
        "2-4 seeds": lambda n: n > 1,
        "all": lambda n: True,
    }
    sizes = {g: sum(1 for case in cases["centroid"] if keep(case[1])) for g, keep in groups.items()}
    print(
        f"\nSciFact more-like-these, leave one out over {len(claims)} claims with >= 2 relevant abstracts "
        f"(train + test qrels), the whole corpus ranked ({time.perf_counter() - started:.0f} s): "
        "hit@10 / MRR@100"
    )
    print(f"{'ranker':22}" + "".join(f"{g + ' (' + str(sizes[g]) + ')':>20}" for g in groups))
    for name, rows in cases.items():
        cells = ""
        for g, keep in groups.items():
            hit = statistics.fmean(row[2] for row in rows if keep(row[1]))
            rr = statistics.fmean(row[3] for row in rows if keep(row[1]))
            cells += f"{hit:>13.3f}/{rr:.3f}"
            emit(
                bench="scifact-more-like",
                ranker=name,
                group=g,
                cases=sizes[g],
                hit_at_10=round(hit, 4),
                mrr_at_100=round(rr, 4),
            )
        print(f"{name:22}{cells}")
    print("centroid - other, per claim (mean over its cases), 95% bootstrap resampling claims:")
    for name, rows in cases.items():
        if name == "centroid":
            continue
        line = f"  vs {name:20}"
        for column, label in ((2, "hit@10"), (3, "MRR")):
            by_claim: dict[int, list[float]] = {}
            for mine, theirs in zip(cases["centroid"], rows, strict=True):
                by_claim.setdefault(mine[0], []).append(mine[column] - theirs[column])
            differences = [statistics.fmean(values) for values in by_claim.values()]
            low, high = bootstrap_interval(differences)
            mean = statistics.fmean(differences)
            line += f" {label} {mean:+.3f} [{low:+.3f}, {high:+.3f}]"
            emit(
                bench="scifact-more-like-paired",
                versus=name,
                metric=label,
                mean_difference=round(mean, 4),
                interval95=[round(low, 4), round(high, 4)],
                claims=len(differences),
            )
        print(line)
    lib.close()


# -- part 3: the cost of one request ----------------------------------------------------------


def timed(work: Callable[[], object], repeats: int) -> tuple[float, float]:
    """(median, max) seconds of `repeats` calls."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), max(times)


def timing_part(data: Path, papers: int, repeats: int) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    from papersift.search.vectors import VectorIndex

    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((papers, 384), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    print(f"\none request at {papers:,} papers (median of {repeats}, max in brackets; machine shared)")
    with tempfile.TemporaryDirectory(prefix="papersift-csfcube-timing-") as scratch:
        index = VectorIndex(Path(scratch) / "vectors.npz", 384)
        index.add(np.arange(papers), vectors)
        subset = arxiv_subset(data, papers, Path(scratch))
        with gzip.open(subset, "rt", encoding="utf-8") as lines:
            texts = [(r.get("title") or "") + " " + (r.get("abstract") or "") for r in map(json.loads, lines)]
        started = time.perf_counter()
        tfidf = arxiv_sanity_tfidf(TfidfVectorizer).fit_transform(texts).astype(np.float32)
        built = time.perf_counter() - started
        print(
            f"  (tf-idf of {len(texts):,} arXiv abstracts built once: {built:.1f} s, "
            f"{tfidf.shape[1]} features)"
        )
        emit(bench="csfcube-timing", step="tfidf build (once)", papers=len(texts), seconds=round(built, 2))
        for count in (1, 5, 20):
            seeds = rng.choice(papers, size=count, replace=False).tolist()

            def centroid(seeds: list[int] = seeds) -> object:
                return index.search(vectors[seeds].mean(axis=0), 10 + len(seeds))

            def top(scores: np.ndarray) -> np.ndarray:
                return np.argpartition(-scores, 10)[:10]

            cases: list[tuple[str, Callable[[], object], int]] = [
                ("centroid (VectorIndex.search)", centroid, repeats * 10),
                (
                    f"svm-emb C={ARXIV_SANITY_C:g}",
                    lambda s=seeds: top(svm_scores(vectors, s, ARXIV_SANITY_C)),
                    repeats,
                ),
                (
                    f"svm-emb C={ARXIV_SANITY_C:g} dual=True",
                    lambda s=seeds: top(svm_scores(vectors, s, ARXIV_SANITY_C, dual=True)),
                    repeats,
                ),
                (
                    f"svm-tfidf C={ARXIV_SANITY_C:g}",
                    lambda s=seeds: top(svm_scores(tfidf, s, ARXIV_SANITY_C)),
                    repeats,
                ),
                (
                    f"svm-tfidf C={ARXIV_SANITY_C:g} dual=True",
                    lambda s=seeds: top(svm_scores(tfidf, s, ARXIV_SANITY_C, dual=True)),
                    repeats,
                ),
            ]
            for name, work, times in cases:
                median, worst = timed(work, times)
                print(f"  {count:>2} seeds  {name:34}{median * 1000:>10.1f} ms  ({worst * 1000:.1f})")
                emit(
                    bench="csfcube-timing",
                    papers=papers,
                    seeds=count,
                    ranker=name,
                    median_ms=round(median * 1000, 2),
                    max_ms=round(worst * 1000, 2),
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_data_argument(parser)
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "papersift-bench-csfcube",
        help="where the embedded libraries are kept between runs (default: $TMPDIR/papersift-bench-csfcube)",
    )
    parser.add_argument("--more-like", action="store_true", help="also centroid against SVMs (part 2)")
    parser.add_argument("--draws", type=int, default=5, help="random seed sets per query and size (part 2)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the draws (part 2)")
    parser.add_argument("--timing", action="store_true", help="also the cost of one request (part 3)")
    parser.add_argument("--papers", type=int, default=75_000, help="papers for --timing")
    parser.add_argument("--repeats", type=int, default=3, help="requests timed per case for --timing")
    parser.add_argument("--skip-similar", action="store_true", help="leave out part 1")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: all three parts on tiny input (3 cut pools, 12 SciFact abstracts, 300 papers)",
    )
    args = parser.parse_args()
    if not args.quick:
        run(args)
        return
    _common.quick_note()
    global TFIDF_MIN_DF
    TFIDF_MIN_DF = 1
    args.more_like = args.timing = True
    args.skip_similar = False
    args.draws, args.papers, args.repeats = 1, 300, 1
    with tempfile.TemporaryDirectory(prefix="bench-csfcube-") as folder:
        args.cache = Path(folder)
        run(args)


def quick_cut(
    papers: dict[str, dict[str, str]], qrels: Qrels, splits: dict[str, dict[str, list[str]]]
) -> tuple[dict[str, dict[str, str]], Qrels, dict[str, dict[str, list[str]]]]:
    """--quick: the first test query-facet of each facet with >= 4 relevant candidates, its pool cut
    to 4 of those and 1 other; the folds of that cut; the papers it needs."""
    cut: Qrels = {}
    for facet in FACETS:
        for key in splits[facet]["fold1_test"] + splits[facet]["fold2_test"]:
            relevant = sorted(c for c, g in qrels[key].items() if g >= RELEVANT)
            others = sorted(c for c, g in qrels[key].items() if g < RELEVANT)
            if len(relevant) >= max(SEED_COUNTS) + 1 and others:
                cut[key] = {c: qrels[key][c] for c in relevant[: max(SEED_COUNTS) + 1] + others[:1]}
                break
    folds = {
        facet: [k for k in cut if facet == "all" or k.endswith("_" + facet)] for facet in (*FACETS, "all")
    }
    cut_splits = {facet: {"fold1_test": keys, "fold2_test": keys} for facet, keys in folds.items()}
    wanted = {query_of(key) for key in cut} | {c for pool in cut.values() for c in pool}
    return {i: p for i, p in papers.items() if i in wanted}, cut, cut_splits


def run(args: argparse.Namespace) -> None:
    check_metrics()
    if not args.skip_similar or args.more_like:
        papers, qrels, splits = load_csfcube(args.data / "bench" / "csfcube")
        if args.quick:
            papers, qrels, splits = quick_cut(papers, qrels, splits)
        lib = open_csfcube_library(papers, args.cache)
        if not args.skip_similar:
            ids = list(papers)
            vectors = dict(zip(ids, embeddings(lib, ids), strict=True))
            similar_part(lib, papers, qrels, splits, vectors)
        if args.more_like:
            more_like_csfcube(lib, papers, qrels, args.draws, args.seed)
        lib.close()
        if args.more_like:
            more_like_scifact(args.data, args.cache, args.quick)
    if args.timing:
        timing_part(args.data, args.papers, args.repeats)


if __name__ == "__main__":
    main()
