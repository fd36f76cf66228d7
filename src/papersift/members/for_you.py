""" "For you": the papers of the last week ranked by a member's saved papers, each with why
(`members.recommend` holds the ranking's mathematics; this holds its data)."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from typing import Any

import numpy as np

from papersift.members.accounts import User
from papersift.members.collections import Collections
from papersift.records import RECOMMENDATION_DAYS, Paper, Recommendation
from papersift.search.indexes import Indexes
from papersift.search.tokens import STOP_WORDS, stem, words
from papersift.store import Store

TERM_COUNTS_CACHED = 50_000  # papers whose terms a Library keeps (~200 MB at most)


class Recommender:
    def __init__(self, store: Store, indexes: Indexes, collections: Collections) -> None:
        self.store = store
        self.indexes = indexes
        self.collections = collections
        # Terms and pairs of papers' texts: a week's papers are tokenised once per process, not
        # for every member (400 ms of a 590 ms "For you" page at 75k).
        self._term_counts: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # pk -> term ids, counts
        self._term_ids: dict[str, int] = {}
        self._term_names: list[str] = []
        self._term_counts_sequence = -1
        # Guards the three caches above: two pages at once must not clear or number terms under
        # each other (tokenising holds the GIL anyway, so little parallelism is lost).
        self._terms_lock = threading.Lock()

    def recommendations(
        self,
        user: User,
        *,
        limit: int = 50,
        days: int = RECOMMENDATION_DAYS,
        collection: str | None = None,
        today: date | None = None,
    ) -> list[Recommendation]:
        """The papers of the last `days` days (to the newest day in the library, or `today`) ranked
        by the member's saved papers (all collections, or one): `papersift.members.recommend`'s blend of
        embedding and term closeness, chosen by bench/bench_recommend.py. Empty without saved papers."""
        from papersift.members import recommend  # SciPy: only when a member asks

        if collection is not None:
            seeds = [
                saved.pk for saved in self.store.saved_in(self.collections.collection_id(user, collection))
            ]
        else:
            seeds = list(self.store.saved_by(user.id))
        last = today or self.store.latest_published() or date.today()
        first = last - timedelta(days=max(1, days) - 1)
        rows, _total = self.store.published_between(first, last, by_votes=False, limit=1_000_000, offset=0)
        seed_set = set(seeds)
        candidates = [row.pk for row in rows if row.pk not in seed_set]
        if not seeds or not candidates or limit <= 0:
            return []
        terms, vocabulary = self._term_rows(seeds + candidates)
        library_terms, candidate_terms = terms[: len(seeds)], terms[len(seeds) :]
        semantic = self.indexes.semantic(required=False)
        vectors = semantic.vectors_of(seeds + candidates) if semantic is not None else {}
        if all(pk in vectors for pk in seeds) and vectors:
            dimension = len(next(iter(vectors.values())))
            missing = np.zeros(dimension, dtype=np.float32)  # a paper not embedded yet: no closeness
            library_vectors = np.stack([vectors[pk] for pk in seeds])
            candidate_vectors = np.stack([vectors.get(pk, missing) for pk in candidates])
            order, scores = recommend.rank(
                library_vectors, candidate_vectors, limit, library_terms, candidate_terms.tocsc()
            )
        else:  # no model: the terms alone
            library_vectors = None
            all_scores = recommend.lexical_scores(library_terms, candidate_terms.tocsc())
            order = recommend.top_indices(all_scores, limit)
            scores = all_scores[order]
        chosen = [candidates[i] for i in order]
        papers = self.store.papers_by_pk(chosen + seeds)
        found = []
        for index, pk, score in zip(order, chosen, scores, strict=True):
            closest: list[Paper] = []
            if library_vectors is not None:
                closest = (
                    [papers[seeds[i]] for i in recommend.closest_seeds(library_vectors, vectors[pk])]
                    if pk in vectors
                    else []
                )
            telling = recommend.telling_words(library_terms, candidate_terms[index], vocabulary, 3)
            paper = papers[pk]
            found.append(Recommendation(paper, float(score), closest, [surface(t, paper) for t in telling]))
        return found

    def _term_rows(self, pks: list[int]) -> tuple[Any, list[str]]:
        """tf-idf rows (`recommend.term_weights`) of these papers' terms and adjacent pairs, with
        document frequencies over these papers (a ranking compares them with each other)."""
        from scipy import sparse

        from papersift.members import recommend

        with self._terms_lock:
            sequence = self.store.change_sequence()
            if self._term_counts_sequence != sequence or len(self._term_counts) > TERM_COUNTS_CACHED:
                self._term_counts.clear()  # a paper's text may have changed
                self._term_ids.clear()
                self._term_names.clear()
                self._term_counts_sequence = sequence
            known, term_ids = self._term_counts, self._term_ids
            texts = self.store.texts_by_pk([pk for pk in pks if pk not in known])
            for pk, (title, abstract) in texts.items():
                found = recommend.terms_and_pairs(
                    [None if w in STOP_WORDS else stem(w) for w in words(f"{title} {abstract}")]
                )
                for term in [t for t in found if t not in term_ids]:
                    term_ids[term] = len(self._term_names)
                    self._term_names.append(term)
                ids = np.fromiter((term_ids[t] for t in found), np.int64, len(found))
                known[pk] = (ids, np.fromiter(found.values(), np.float32, len(found)))
            empty = (np.zeros(0, np.int64), np.zeros(0, np.float32))
            rows = [known.get(pk, empty) for pk in pks]
            columns, compact = np.unique(np.concatenate([ids for ids, _ in rows]), return_inverse=True)
            indptr = np.concatenate([[0], np.cumsum([len(ids) for ids, _ in rows])])
            data = np.concatenate([counts for _, counts in rows])
            matrix = sparse.csr_matrix((data, compact, indptr), shape=(len(pks), len(columns)))
            frequency = np.bincount(compact, minlength=len(columns))
            names = [self._term_names[int(column)] for column in columns]
        return recommend.term_weights(matrix, frequency, len(pks)), names


def surface(term: str, paper: Paper) -> str:
    """A term ("rewir", "graph neural") as the paper writes it ("rewiring", "graph neural")."""
    wanted = term.split(" ")
    found = words(f"{paper.title} {paper.abstract}")
    for start in range(len(found)):
        window = [w for w in found[start : start + 2 * len(wanted)] if w not in STOP_WORDS][: len(wanted)]
        if [stem(w) for w in window] == wanted:
            return " ".join(window)
    return term
