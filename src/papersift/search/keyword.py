"""An in-memory BM25F keyword index over titles, abstracts, authors and categories.

Why not SQLite FTS5: its `bm25()` is computed for every matching row before `ORDER BY ... LIMIT`,
so a paragraph-long query (which matches nearly every paper) took 680 ms p99 over 75k papers
here. This index stores, per term, the papers that hold it with a precomputed BM25 *impact*
(the saturated, length-normalised term frequency), so a query is a sum of a few sparse rows
and a top-k selection: a few milliseconds whatever the query length.

Scoring is BM25F: a term's frequency is the weighted sum of its frequencies in the title and
the abstract (title weighted higher), then saturated once (k1, b) against the weighted document
length. Author-name words (`@name`) and categories (`#cs.cv`) are terms too, so author queries
rank and filters are posting-list lookups. Document rows are papers' store keys (`pk`).

The index is a cache of the store: `IndexedPaper` rows go in, `save`/`load` persist it beside the
database with the store's change sequence it covers, and the Library re-applies what changed
since. It knows nothing about SQL or files other than its own.
"""

from __future__ import annotations

import json
import logging
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import numpy.typing as npt

from papersift.atomic import atomic_write
from papersift.search.query import Query, phrase_terms
from papersift.search.tokens import fold, term_counts, words

if TYPE_CHECKING:
    from scipy import sparse

FORMAT_VERSION = 3  # 3: the "has code" flag term
AUTHOR_PREFIX = "@"
CATEGORY_PREFIX = "#"
HAS_CODE = "%code"  # a term of every paper with a code link: the `has:code` filter is its postings
# Candidates of a quoted phrase read before settling for `at_least` matches: a phrase of common
# words ("performance in the": 36k candidates, 184 matches) cost 380 ms checked to the end.
PHRASE_CHECK_BUDGET = 5_000


@dataclass(frozen=True)
class BM25Settings:
    # Chosen on SciFact's train split (bench/bench_scifact.py --tune); never tuned on test.
    k1: float = 1.2
    b: float = 0.9
    title_weight: float = 3.0
    author_weight: float = 1.0  # weight of an author-name match relative to a text term


@dataclass(frozen=True, slots=True)
class IndexedPaper:
    """What the index needs of a paper."""

    pk: int
    title: str
    abstract: str
    authors: Sequence[str]
    categories: Sequence[str]
    published: date | None
    has_code: bool = False


@dataclass(frozen=True)
class KeywordMatches:
    """Ranked store keys with their scores, and how many papers matched in all."""

    pks: list[int]
    scores: list[float]
    total: int


FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]
PhraseCheck = Callable[[list[int], list[list[str]]], list[bool]]


class Postings(NamedTuple):
    """A CSR matrix's arrays (terms x rows): a term's rows are indices[indptr[t]:indptr[t + 1]]."""

    indptr: npt.NDArray[Any]
    indices: npt.NDArray[Any]
    data: FloatArray
    columns: int  # rows of the index (papers) when these arrays were made

    @classmethod
    def empty(cls) -> Postings:
        return cls(np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32), 0)


class KeywordIndex:
    """BM25F over papers; see the module docstring."""

    def __init__(self, settings: BM25Settings | None = None) -> None:
        self.settings = settings or BM25Settings()
        self.covers_sequence = 0  # the store's change sequence this index reflects
        self._vocabulary: dict[str, int] = {}
        self._terms: list[str] = []
        self._row_of_pk: dict[int, int] = {}
        self._pks: IntArray = np.zeros(0, dtype=np.int64)
        self._doc_length: FloatArray = np.zeros(0, dtype=np.float32)
        self._published: npt.NDArray[np.int32] = np.zeros(0, dtype=np.int32)
        self._live: npt.NDArray[np.bool_] = np.zeros(0, dtype=bool)
        # term x row weighted frequencies (CSR: a term's postings are contiguous and sorted). A
        # loaded index is queried from the plain arrays; SciPy's matrix is built only to change
        # the index (importing SciPy costs a CLI search a third of a second).
        self._postings_arrays: Postings | None = Postings.empty()
        self._matrix: Any = None  # scipy.sparse.csr_matrix, when built
        self._norm: FloatArray | None = None  # BM25's length normalisation per row
        self._document_frequency: IntArray = np.zeros(0, dtype=np.int64)

    # -- building -------------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self._live.sum())

    def add(self, papers: Iterable[IndexedPaper]) -> int:
        """Index papers, replacing earlier versions of the same pks. Returns how many."""
        term_ids = array("i")
        row_ids = array("i")
        values = array("f")
        new_lengths: list[float] = []
        new_published: list[int] = []
        replaced: list[int] = []
        first_row = len(self._pks)
        new_pks: list[int] = []
        title_weight = self.settings.title_weight
        vocabulary, all_terms = self._vocabulary, self._terms

        known = vocabulary.get
        for paper in papers:  # streamed: holding every paper's text would double peak memory
            old_row = self._row_of_pk.get(paper.pk)
            if old_row is not None:
                replaced.append(old_row)
            row = first_row + len(new_pks)
            new_pks.append(paper.pk)
            self._row_of_pk[paper.pk] = row
            frequencies: dict[str, float]
            frequencies, abstract_length = term_counts(paper.abstract)  # type: ignore[assignment]
            title_counts, title_length = term_counts(paper.title)
            for term, count in title_counts.items():
                frequencies[term] = frequencies.get(term, 0) + title_weight * count
            for author in paper.authors:
                for word in words(author):
                    frequencies[AUTHOR_PREFIX + word] = 1.0
            for category in paper.categories:
                frequencies[CATEGORY_PREFIX + fold(category)] = 1.0
            if paper.has_code:
                frequencies[HAS_CODE] = 1.0
            new_lengths.append(title_weight * title_length + abstract_length)
            new_published.append(paper.published.toordinal() if paper.published else 0)
            for term in frequencies:  # the hot loop of indexing: no function call per term
                found = known(term)
                if found is None:
                    found = vocabulary[term] = len(all_terms)
                    all_terms.append(term)
                term_ids.append(found)
            values.extend(frequencies.values())
            row_ids.extend([row] * len(frequencies))
        if not new_pks:
            return 0
        self._append_rows(new_pks, new_lengths, new_published, replaced, term_ids, row_ids, values)
        return len(new_pks)

    def _append_rows(
        self,
        new_pks: list[int],
        lengths: list[float],
        published: list[int],
        replaced: list[int],
        term_ids: array[int],
        row_ids: array[int],
        values: array[float],
    ) -> None:
        """Add rows for new papers; postings of replaced rows (old or just added) are dropped."""
        rows = len(self._pks) + len(new_pks)
        self._pks = np.concatenate([self._pks, np.asarray(new_pks, dtype=np.int64)])
        self._doc_length = np.concatenate([self._doc_length, np.asarray(lengths, np.float32)])
        self._published = np.concatenate([self._published, np.asarray(published, np.int32)])
        live = np.concatenate([self._live, np.ones(len(new_pks), dtype=bool)])
        live[replaced] = False
        self._live = live
        new_data = np.frombuffer(values, dtype=np.float32)
        new_terms = np.frombuffer(term_ids, dtype=np.int32)
        new_rows = np.frombuffer(row_ids, dtype=np.int32)
        if replaced:
            keep_new = ~np.isin(new_rows, replaced)
            new_data, new_terms, new_rows = new_data[keep_new], new_terms[keep_new], new_rows[keep_new]
        from scipy import sparse

        if self._frequencies.nnz:
            old = self._frequencies.tocoo()
            keep = ~np.isin(old.col, replaced) if replaced else slice(None)
            new_data = np.concatenate([old.data[keep], new_data])
            new_terms = np.concatenate([old.row[keep].astype(np.int32), new_terms])
            new_rows = np.concatenate([old.col[keep].astype(np.int32), new_rows])
            del old
        frequencies = sparse.csr_matrix(
            (new_data, (new_terms, new_rows)), shape=(len(self._terms), rows), dtype=np.float32
        )
        frequencies.sort_indices()
        self._frequencies = frequencies
        if replaced and len(replaced) > rows // 4:
            self.compact()

    def compact(self) -> None:
        """Drop the rows of replaced papers (their postings are already gone)."""
        keep_rows = np.flatnonzero(self._live)
        if len(keep_rows) == len(self._live):
            return
        self._frequencies = self._frequencies[:, keep_rows].tocsr()
        self._frequencies.sort_indices()
        self._pks = self._pks[keep_rows]
        self._doc_length = self._doc_length[keep_rows]
        self._published = self._published[keep_rows]
        self._live = self._live[keep_rows]
        self._row_of_pk = {int(pk): row for row, pk in enumerate(self._pks)}

    @property
    def _frequencies(self) -> sparse.csr_matrix:
        """The postings as a SciPy matrix, for changing the index (built on first need)."""
        if self._matrix is None:
            from scipy import sparse

            arrays = self._postings_arrays or Postings.empty()
            self._matrix = sparse.csr_matrix(
                (arrays.data, arrays.indices, arrays.indptr), shape=(len(arrays.indptr) - 1, arrays.columns)
            )
        return self._matrix

    @_frequencies.setter
    def _frequencies(self, matrix: sparse.csr_matrix) -> None:
        self._matrix, self._postings_arrays, self._norm = matrix, None, None

    def _ensure_impacts(self) -> Postings:
        """The postings, with BM25's per-row normalisation ready: a term's impacts,
        tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl)), are computed when a query asks for
        the term (`_impacts`), not for all postings at once (0.17 s on the first query at 75k)."""
        # Searches in several threads may get here at once (`Indexes.reading_keyword`): each
        # field is assigned whole, the norm last, so a search that finds the norm finds the rest.
        postings = self._postings_arrays
        if postings is None:
            matrix = self._matrix
            postings = Postings(matrix.indptr, matrix.indices, matrix.data, matrix.shape[1])
            self._postings_arrays = postings
        if self._norm is None:
            live_lengths = self._doc_length[self._live]
            average = float(live_lengths.mean()) if len(live_lengths) else 1.0
            k1, b = self.settings.k1, self.settings.b
            norm = (k1 * (1 - b + b * self._doc_length / max(average, 1e-9))).astype(np.float32)
            self._document_frequency = np.diff(postings.indptr).astype(np.int64)
            self._norm = norm
        return postings

    def _impacts(self, start: int, end: int) -> FloatArray:
        postings = self._ensure_impacts()
        assert self._norm is not None
        tf = postings.data[start:end]
        k1 = np.float32(self.settings.k1)
        impacts: FloatArray = (tf * (k1 + 1) / (tf + self._norm[postings.indices[start:end]])).astype(
            np.float32
        )
        return impacts

    # -- querying --------------------------------------------------------------------------

    def _postings(self, term: str) -> npt.NDArray[np.int32]:
        term_id = self._vocabulary.get(term)
        if term_id is None:
            return np.zeros(0, dtype=np.int32)
        postings = self._ensure_impacts()
        rows: npt.NDArray[np.int32] = postings.indices[
            postings.indptr[term_id] : postings.indptr[term_id + 1]
        ]
        return rows

    def _idf(self, term_id: int, live: int) -> float:
        live = live or 1
        df = int(self._document_frequency[term_id])
        # Lucene's BM25 idf: never negative, so very common words still count a little.
        return float(np.log(1 + (live - df + 0.5) / (df + 0.5)))

    def _rows_with_all(self, wanted: Iterable[str]) -> npt.NDArray[np.int32] | None:
        result: npt.NDArray[np.int32] | None = None
        for term in wanted:
            postings = self._postings(term)
            result = postings if result is None else np.intersect1d(result, postings, assume_unique=True)
        return result

    def _filter_mask(self, query: Query) -> npt.NDArray[np.bool_] | None:
        """Rows allowed by the query's filters, or None when it has none."""
        mask: npt.NDArray[np.bool_] | None = None

        def narrow(rows: npt.NDArray[np.bool_]) -> None:
            nonlocal mask
            mask = rows if mask is None else mask & rows

        rows_count = len(self._pks)
        for name in query.authors:
            allowed = np.zeros(rows_count, dtype=bool)
            found = self._rows_with_all(AUTHOR_PREFIX + w for w in name)
            if found is not None:
                allowed[found] = True
            narrow(allowed)
        if query.categories:
            allowed = np.zeros(rows_count, dtype=bool)
            for category in query.categories:
                for term in self._category_terms(fold(category)):
                    allowed[self._postings(term)] = True
            narrow(allowed)
        if query.has_code:
            allowed = np.zeros(rows_count, dtype=bool)
            allowed[self._postings(HAS_CODE)] = True
            narrow(allowed)
        if query.date_from or query.date_to:
            low = query.date_from.toordinal() if query.date_from else 1
            high = query.date_to.toordinal() if query.date_to else date.max.toordinal()
            narrow((self._published >= low) & (self._published <= high))
        for term in query.excluded:
            allowed = np.ones(rows_count, dtype=bool)
            allowed[self._postings(term)] = False
            narrow(allowed)
        if mask is not None:
            mask &= self._live
        return mask

    def allowed_pks(self, query: Query) -> IntArray | None:
        """Store keys of the papers the query's filters allow (None when it has no filters).

        Semantic search uses this, so filters mean the same in every mode.
        """
        mask = self._filter_mask(query)
        return None if mask is None else self._pks[mask]

    def _category_terms(self, category: str) -> list[str]:
        exact = CATEGORY_PREFIX + category
        if "." in category or exact in self._vocabulary:
            return [exact]
        # A bare archive ("cs") means all of its categories ("cs.cv", "cs.lg", ...).
        archive = exact + "."
        return [t for t in self._terms if t.startswith(archive)] + [exact]

    def search(
        self,
        query: Query,
        *,
        limit: int = 10,
        offset: int = 0,
        phrase_check: PhraseCheck | None = None,
        at_least: int | None = None,
    ) -> KeywordMatches:
        """Rank rows for a query. Without text, filtered papers come newest first (score 0).

        Phrases are checked by `phrase_check(pks, phrases)` (the Library reads the texts),
        lazily in rank order, so only as many candidates are read as the page needs. With
        `at_least`, fewer than `limit` will do once `PHRASE_CHECK_BUDGET` candidates have been
        read and that many are found (hybrid search wants 200 to re-rank, a page needs 20).
        """
        self._ensure_impacts()
        rows_count = len(self._pks)
        mask = self._filter_mask(query)
        scores = np.zeros(rows_count, dtype=np.float32)
        weighted_terms: Counter[str] = Counter(query.terms)
        for phrase in query.phrases:
            weighted_terms.update(phrase_terms(phrase))
        for prefix in query.prefixes:
            for term in self._terms_with_prefix(prefix):
                weighted_terms[term] += 1
        author_weight = self.settings.author_weight
        live = len(self)  # counted once: it sums a 75k-row mask (0.6 ms a query when per term)
        for term, repeats in weighted_terms.items():
            self._accumulate(scores, term, 1.0 + 0.25 * (repeats - 1), live)
            author_term = AUTHOR_PREFIX + term
            if author_term in self._vocabulary:
                self._accumulate(scores, author_term, author_weight, live)
        if query.has_text:
            if query.phrases:
                required = self._rows_with_all(t for phrase in query.phrases for t in phrase_terms(phrase))
                allowed = np.zeros(rows_count, dtype=bool)
                if required is not None:
                    allowed[required] = True
                mask = allowed if mask is None else mask & allowed
            if mask is not None:
                scores[~mask] = 0
            matched = np.flatnonzero(scores > 0)
        else:
            matched = np.flatnonzero(mask if mask is not None else self._live)
            scores[matched] = 0
        total = len(matched)
        if not query.has_text:
            order = matched[np.lexsort((-self._pks[matched], -self._published[matched]))]
            page = order[offset : offset + limit]
            return KeywordMatches([int(self._pks[r]) for r in page], [0.0] * len(page), total)
        if not query.phrases or phrase_check is None:
            wanted = offset + limit
            top = (
                matched[np.argpartition(-scores[matched], wanted - 1)[:wanted]] if total > wanted else matched
            )
            top = top[np.lexsort((self._pks[top], -scores[top]))]
            page = top[offset : offset + limit]
            return KeywordMatches([int(self._pks[r]) for r in page], [float(scores[r]) for r in page], total)
        enough = offset + limit if at_least is None else min(offset + limit, at_least)
        return self._search_phrases(matched, scores, query.phrases, limit, offset, phrase_check, enough)

    def _search_phrases(
        self,
        matched: npt.NDArray[np.int64],
        scores: FloatArray,
        phrases: list[list[str]],
        limit: int,
        offset: int,
        phrase_check: PhraseCheck,
        enough: int,
    ) -> KeywordMatches:
        ranked = matched[np.lexsort((self._pks[matched], -scores[matched]))]
        confirmed: list[int] = []
        checked = 0
        chunk = max(50, offset + limit)
        while checked < len(ranked) and len(confirmed) < offset + limit:
            if checked >= PHRASE_CHECK_BUDGET and len(confirmed) >= enough:
                break
            rows = ranked[checked : checked + chunk]
            flags = phrase_check([int(self._pks[r]) for r in rows], phrases)
            confirmed.extend(int(r) for r, ok in zip(rows, flags, strict=True) if ok)
            checked += len(rows)
        # Unchecked candidates are counted as matches: the total is exact once all were checked.
        total = len(confirmed) + (len(ranked) - checked)
        page = confirmed[offset : offset + limit]
        return KeywordMatches([int(self._pks[r]) for r in page], [float(scores[r]) for r in page], total)

    def _accumulate(self, scores: FloatArray, term: str, weight: float, live: int) -> None:
        term_id = self._vocabulary.get(term)
        if term_id is None:
            return
        postings = self._ensure_impacts()
        start, end = int(postings.indptr[term_id]), int(postings.indptr[term_id + 1])
        scores[postings.indices[start:end]] += self._impacts(start, end) * np.float32(
            self._idf(term_id, live) * weight
        )

    def _terms_with_prefix(self, prefix: str, most: int = 50) -> list[str]:
        """Up to `most` indexed text terms starting with `prefix`, the most frequent first."""
        found = [
            (term_id, term)
            for term, term_id in self._vocabulary.items()
            if term.startswith(prefix) and term[0] not in (AUTHOR_PREFIX, CATEGORY_PREFIX)
        ]
        found.sort(key=lambda item: -int(self._document_frequency[item[0]]))
        return [term for _, term in found[:most]]

    # -- persistence -----------------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Write the index atomically (a crash leaves the old file or the new one)."""
        self.compact()
        frequencies = self._frequencies
        with atomic_write(path) as stream:
            np.savez(
                stream,
                format_version=np.asarray([FORMAT_VERSION]),
                covers_sequence=np.asarray([self.covers_sequence]),
                settings=np.asarray(
                    [
                        self.settings.k1,
                        self.settings.b,
                        self.settings.title_weight,
                        self.settings.author_weight,
                    ]
                ),
                terms=np.frombuffer(json.dumps(self._terms).encode(), dtype=np.uint8),
                pks=self._pks,
                doc_length=self._doc_length,
                published=self._published,
                indptr=frequencies.indptr.astype(np.int64),
                indices=frequencies.indices.astype(np.int32),
                data=frequencies.data,
            )

    @classmethod
    def load(cls, path: Path, settings: BM25Settings | None = None) -> KeywordIndex | None:
        """The saved index, or None when missing, unreadable, of another format or settings."""
        if not path.exists():
            return None
        try:
            with np.load(path) as saved:
                if int(saved["format_version"][0]) != FORMAT_VERSION:
                    return None
                index = cls(settings)
                wanted = [
                    index.settings.k1,
                    index.settings.b,
                    index.settings.title_weight,
                    index.settings.author_weight,
                ]
                if not np.allclose(saved["settings"], wanted):
                    return None
                index._terms = json.loads(saved["terms"].tobytes().decode())
                index._vocabulary = {term: i for i, term in enumerate(index._terms)}
                index._pks = saved["pks"]
                index._doc_length = saved["doc_length"]
                index._published = saved["published"]
                index._live = np.ones(len(index._pks), dtype=bool)
                index._row_of_pk = {int(pk): row for row, pk in enumerate(index._pks)}
                index._postings_arrays = Postings(
                    saved["indptr"], saved["indices"], saved["data"], len(index._pks)
                )
                index._matrix = None
                index.covers_sequence = int(saved["covers_sequence"][0])
                return index
        except (OSError, ValueError, KeyError, EOFError) as error:
            # Not fatal (the index is a cache), but a rebuild on every start must not go unnoticed.
            logging.getLogger(__name__).warning(
                "rebuilding the keyword index: %s is unreadable (%s)", path, error
            )
            return None
