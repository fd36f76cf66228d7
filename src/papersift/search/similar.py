"""Similar papers: the nearest in meaning to one paper or to a set of papers (their centroid),
leaving out the papers themselves and their duplicates (near-identical texts, or one title with
close texts). Why the centroid: docs/notes/more-like-these.md."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from papersift.catalog import Catalog
from papersift.errors import PapersiftError
from papersift.ids import title_key
from papersift.records import Hit
from papersift.search.engine import nearest
from papersift.search.indexes import Indexes
from papersift.store import Store

# A neighbour this close is the same text (a duplicate record), not a related paper.
DUPLICATE_COSINE = 0.995
# ... and with the same title, this close (distinct papers with one generic title measured 0.61-0.83).
SAME_TITLE_DUPLICATE_COSINE = 0.9


class Similar:
    def __init__(self, store: Store, indexes: Indexes, catalog: Catalog) -> None:
        self.store = store
        self.indexes = indexes
        self.catalog = catalog

    def similar(self, paper_id: str, limit: int = 10, *, within: Iterable[str] | None = None) -> list[Hit]:
        """The papers nearest in meaning to one paper, without itself and its duplicates.

        `within` limits the answer to some papers (ids); a duplicate is a paper with a
        near-identical embedding (cosine >= DUPLICATE_COSINE), or the same title key and a close
        one (>= SAME_TITLE_DUPLICATE_COSINE).
        """
        return self.more_like([paper_id], limit, within=within)

    def more_like(
        self, paper_ids: Iterable[str], limit: int = 10, *, within: Iterable[str] | None = None
    ) -> list[Hit]:
        """A ranking for a set of papers (a user's saved papers): nearest to their centroid.

        The given papers and duplicates of them are left out. Why the centroid: see
        docs/notes/more-like-these.md (measured against a linear SVM, arxiv-sanity's way).
        """
        seeds = [self.catalog.pk(paper_id) for paper_id in paper_ids]
        allowed = None
        if within is not None:
            allowed = np.array(
                [pk for paper_id in within if (pk := self.catalog.find_pk(paper_id)) is not None]
            )
        return self.more_like_pks(seeds, limit, allowed)

    def more_like_pks(self, seeds: list[int], limit: int, allowed: np.ndarray | None) -> list[Hit]:
        semantic = self.indexes.semantic(required=True)
        assert semantic is not None
        if not seeds or limit <= 0:
            return []
        semantic.catch_up()  # catch up with embeddings written since
        vectors = semantic.vectors_of(seeds)
        missing = [seed for seed in seeds if seed not in vectors]
        if missing:
            ids = ", ".join(p.id for p in self.store.papers_by_pk(missing).values())
            raise PapersiftError(f"not embedded yet: {ids} (run `papersift index`)")
        centroid = np.mean([vectors[seed] for seed in seeds], axis=0)
        seed_papers = self.store.papers_by_pk(seeds)
        seen_titles = {title_key(p.title) for p in seed_papers.values()}
        seed_matrix = np.stack([vectors[seed] for seed in seeds])
        seed_set = set(seeds)
        ranked: list[tuple[int, float]] = []
        wanted = limit + len(seeds) + 10
        while True:  # ask for more neighbours while duplicates leave fewer than `limit`
            candidates = nearest(semantic, centroid, wanted, allowed)
            found = [(pk, score) for pk, score in candidates if pk not in seed_set]
            papers = self.store.papers_by_pk([pk for pk, _ in found])
            candidate_vectors = semantic.vectors_of([pk for pk, _ in found])
            ranked, titles, kept = [], set(seen_titles), list(seed_matrix)
            for pk, score in found:
                key, vector = title_key(papers[pk].title), candidate_vectors[pk]
                closest = float(np.max(np.stack(kept) @ vector))
                # A generic title ("Hybrid Monte Carlo") is shared by different papers: the same
                # title is a duplicate only when the texts are close too.
                if closest >= DUPLICATE_COSINE or (key in titles and closest >= SAME_TITLE_DUPLICATE_COSINE):
                    continue
                titles.add(key)
                kept.append(vector)
                ranked.append((pk, score))
            if len(ranked) >= limit or len(candidates) < wanted:
                break
            wanted *= 2
        ranked = ranked[:limit]
        return [Hit(papers[pk], score) for pk, score in ranked]
