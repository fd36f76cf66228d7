"""Members' upvotes on papers."""

from __future__ import annotations

from collections.abc import Iterable

from papersift.catalog import Catalog
from papersift.members.accounts import User
from papersift.store import Store


class Votes:
    def __init__(self, store: Store, catalog: Catalog) -> None:
        self.store = store
        self.catalog = catalog

    def upvote(self, user: User, paper_id: str, *, voted: bool = True) -> int:
        """Add (or with `voted=False` withdraw) a user's upvote; returns the paper's new count."""
        return self.store.set_vote(user.id, self.catalog.pk(paper_id), voted)

    def upvote_counts(self, paper_ids: Iterable[str]) -> dict[str, int]:
        """Upvotes of each known paper (unknown ids are left out)."""
        pks = self.catalog.pks_of(paper_ids)
        counts = self.store.vote_counts(list(pks.values()))
        return {paper_id: counts.get(pk, 0) for paper_id, pk in pks.items()}

    def upvoted_by(self, user: User, paper_ids: Iterable[str]) -> set[str]:
        pks = self.catalog.pks_of(paper_ids)
        voted = self.store.voted_by(user.id, list(pks.values()))
        return {paper_id for paper_id, pk in pks.items() if pk in voted}
