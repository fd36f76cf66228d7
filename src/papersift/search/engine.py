"""Search: one query, parsed, through the keyword index, the semantic index or both fused.

A query is parsed once (`search.query`); filters narrow every mode. Hybrid search fuses the
keyword (BM25F) and the semantic (embedding) rankings by `search.fusion`; a quoted phrase must
appear, and meaning only re-ranks the papers that hold it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Literal

import numpy as np

from papersift.errors import PapersiftError
from papersift.records import Hit
from papersift.search.fusion import FUSION, fuse
from papersift.search.indexes import Indexes
from papersift.search.query import Query, parse_query
from papersift.search.semantic import SemanticIndex
from papersift.search.snippets import contains_phrase, make_snippet
from papersift.search.tokens import words
from papersift.store import Store

SearchMode = Literal["hybrid", "semantic", "keyword"]
SEARCH_MODES: tuple[SearchMode, ...] = ("hybrid", "semantic", "keyword")


class SearchResults(list[Hit]):
    """Hits of one page, with the number of matches (`total`), the parsed query and the mode used.

    In semantic and hybrid search every paper is a match to some degree: `total` counts the
    ranked candidates (at least `FUSION.depth`), which is how far pages go.
    """

    def __init__(
        self, hits: Iterable[Hit], *, total: int, query: Query, offset: int, mode: SearchMode = "keyword"
    ) -> None:
        super().__init__(hits)
        self.total = total
        self.query = query
        self.offset = offset
        self.mode = mode


class Searcher:
    """Searches one library's indexes; papers come from its store."""

    def __init__(self, store: Store, indexes: Indexes) -> None:
        self.store = store
        self.indexes = indexes

    def search(
        self,
        text: str = "",
        mode: SearchMode = "hybrid",
        limit: int = 10,
        offset: int = 0,
        *,
        author: str | None = None,
        category: str | None = None,
        year: int | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
        has_code: bool = False,
        snippets: bool = True,
    ) -> SearchResults:
        """Papers matching a query (see `papersift.search.query` for its syntax), best first.

        `mode`: "hybrid" (keyword and semantic rankings fused), "semantic" (by meaning only) or
        "keyword" (BM25F). Filters (`has_code`: papers with a code repository), written in the
        query or given as keyword arguments, apply in
        every mode; a query of filters only lists the matching papers newest first. Without
        `snippets`, hits carry no snippet (most of a search's time goes into making them).
        """
        if mode not in SEARCH_MODES:
            raise PapersiftError(f"unknown search mode {mode!r}; choose one of {', '.join(SEARCH_MODES)}")
        limit = max(0, min(int(limit), 1000))
        offset = max(0, int(offset))
        query = parse_query(text)
        if author and words(author):
            query.authors.append(words(author))
        if category:
            query.categories.append(category)
        query.has_code = query.has_code or has_code
        if year:
            date_from = max(filter(None, [date_from, date(year, 1, 1)]))
            date_to = min(filter(None, [date_to, date(year, 12, 31)]))
        if date_from and (query.date_from is None or date_from > query.date_from):
            query.date_from = date_from
        if date_to and (query.date_to is None or date_to < query.date_to):
            query.date_to = date_to
        if limit == 0:
            return SearchResults([], total=0, query=query, offset=offset, mode=mode)
        index = self.indexes.keyword()
        semantic = None
        if mode != "keyword" and query.meaning_text.strip():
            semantic = self.indexes.semantic(required=mode == "semantic")
        if semantic is None:
            with self.indexes.reading_keyword():
                matches = index.search(query, limit=limit, offset=offset, phrase_check=self.check_phrases)
            ranked = list(zip(matches.pks, matches.scores, strict=True))
            # A query of filters only lists papers newest first in every mode; otherwise meaning
            # was asked for but the model is missing, and the results say they are keyword-only.
            used: SearchMode = mode if not query.meaning_text.strip() else "keyword"
            return self._results(ranked, query, matches.total, offset, used, snippets)

        depth = max(FUSION.depth, offset + limit)
        with self.indexes.reading_keyword():
            allowed = index.allowed_pks(query)
        query_vector = semantic.embed_query(query.meaning_text)  # no lock: ONNX Runtime runs beside others
        if mode == "semantic":
            ranked = nearest(semantic, query_vector, depth, allowed)
        else:
            keyword = None
            if query.has_text:
                with self.indexes.reading_keyword():
                    keyword = index.search(
                        query, limit=depth, phrase_check=self.check_phrases, at_least=offset + limit
                    )
            if query.phrases and keyword is not None:
                # A quoted phrase must appear: meaning only re-ranks the papers that hold it.
                vectors = semantic.vectors_of(keyword.pks)
                by_meaning = sorted(
                    ((pk, float(vectors[pk] @ query_vector)) for pk in keyword.pks if pk in vectors),
                    key=lambda item: -item[1],
                )
            else:
                by_meaning = nearest(semantic, query_vector, depth, allowed)
            keyword_ranking = (keyword.pks, keyword.scores) if keyword else ([], [])
            meaning_ranking = ([pk for pk, _ in by_meaning], [score for _, score in by_meaning])
            ranked = fuse(keyword_ranking, meaning_ranking)
        page = ranked[offset : offset + limit]
        return self._results(page, query, len(ranked), offset, mode, snippets)

    def _results(
        self,
        ranked: list[tuple[int, float]],
        query: Query,
        total: int,
        offset: int,
        mode: SearchMode,
        snippets: bool,
    ) -> SearchResults:
        papers = self.store.papers_by_pk([pk for pk, _ in ranked])
        wanted = query.highlight_terms
        hits = []
        for pk, score in ranked:
            paper = papers[pk]
            if snippets:
                snippet, highlights = make_snippet(paper.abstract, wanted)
                hits.append(Hit(paper, score, snippet, tuple(highlights)))
            else:
                hits.append(Hit(paper, score))
        return SearchResults(hits, total=total, query=query, offset=offset, mode=mode)

    def check_phrases(self, pks: list[int], phrases: list[list[str]]) -> list[bool]:
        texts = self.store.texts_by_pk(pks)
        return [
            all(
                contains_phrase(texts[pk].title, p) or contains_phrase(texts[pk].abstract, p) for p in phrases
            )
            if pk in texts
            else False
            for pk in pks
        ]


def nearest(
    semantic: SemanticIndex, vector: np.ndarray, k: int, allowed: np.ndarray | None
) -> list[tuple[int, float]]:
    """The `k` papers nearest to a vector, among `allowed` pks when given."""
    mask = None
    if allowed is not None:
        if not len(allowed):
            return []
        mask = np.zeros(int(allowed.max()) + 1, dtype=bool)
        mask[allowed] = True
    pks, scores = semantic.nearest(vector, k, mask)
    return list(zip(pks, scores, strict=True))
