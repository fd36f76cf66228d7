"""The catalog: papers by any id a user may write (the stored id, an alias, a versioned or URL
arXiv id), one at a time or many at once. Every capability finds papers through it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from papersift.errors import PaperNotFound
from papersift.ids import parse_arxiv_id
from papersift.records import Paper
from papersift.store import Store


class Catalog:
    def __init__(self, store: Store) -> None:
        self.store = store

    def find_pk(self, paper_id: str) -> int | None:
        """The paper's key, or None: the id as stored, else as an arXiv id in any spelling."""
        pk = self.store.pk_of(paper_id.strip())
        if pk is None:
            parsed = parse_arxiv_id(paper_id)
            pk = self.store.pk_of(parsed[0]) if parsed else None
        return pk

    def pk(self, paper_id: str) -> int:
        pk = self.find_pk(paper_id)
        if pk is None:
            raise PaperNotFound(f"no paper with id {paper_id!r}")
        return pk

    def pks_of(self, paper_ids: Iterable[str]) -> dict[str, int]:
        """pks of known ids: one query for ids as stored, one lookup each for other spellings."""
        wanted = [paper_id.strip() for paper_id in paper_ids]
        found = self.store.pks_of(wanted)
        for paper_id in wanted:
            if paper_id not in found and (pk := self.find_pk(paper_id)) is not None:
                found[paper_id] = pk
        return found

    def paper(self, paper_id: str) -> Paper:
        """The paper with this id (or an id it was known by, or a versioned/URL arXiv id)."""
        pk = self.pk(paper_id)
        return self.store.papers_by_pk([pk])[pk]

    def papers(self) -> Iterator[Paper]:
        """Every paper, in the order they were first imported."""
        for item in self.store.iter_papers():
            yield item.paper
