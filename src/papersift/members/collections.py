"""A member's library: collections (tags) of saved papers with notes, imported and exported."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Iterator

from papersift import sources
from papersift.catalog import Catalog
from papersift.errors import CollectionError
from papersift.ingest.pipeline import Ingester
from papersift.members.accounts import User
from papersift.records import (
    DEFAULT_COLLECTION,
    MAX_COLLECTION_NAME,
    MAX_NOTE,
    Collection,
    CollectionImport,
    IngestReport,
    Paper,
    SavedPaper,
)
from papersift.sources.exports import export_lines, paper_to_json
from papersift.store import Store


class Collections:
    def __init__(self, store: Store, catalog: Catalog, ingester: Ingester) -> None:
        self.store = store
        self.catalog = catalog
        self.ingester = ingester

    def save_papers(
        self,
        user: User,
        paper_ids: Iterable[str],
        collection: str = DEFAULT_COLLECTION,
        *,
        note: str | None = None,
    ) -> int:
        """Save papers into a collection (created if missing); `note` replaces their note. How
        many were not in it yet. Every id must be known (PaperNotFound names the first that is not)."""
        pks = [self.catalog.pk(paper_id) for paper_id in paper_ids]
        name, note = _collection_name(collection), _note(note)  # checked before anything is written
        collection_id = self.store.collection_id(user.id, name, create=True)
        assert collection_id is not None
        return self.store.save_to_collection(collection_id, pks, note)

    def unsave_paper(self, user: User, paper_id: str, collection: str) -> bool:
        """Take a paper out of a collection; whether it was there."""
        return self.store.remove_from_collection(
            self.collection_id(user, collection), self.catalog.pk(paper_id)
        )

    def collections(self, user: User) -> list[Collection]:
        return [Collection(row.name, row.papers) for row in self.store.collections_of(user.id)]

    def collection(self, user: User, name: str) -> list[SavedPaper]:
        """A collection's papers, most recently saved first."""
        rows = self.store.saved_in(self.collection_id(user, name))
        papers = self.store.papers_by_pk([row.pk for row in rows])
        return [SavedPaper(papers[row.pk], row.note, row.saved_at) for row in rows]

    def delete_collection(self, user: User, name: str) -> None:
        self.store.delete_collection(self.collection_id(user, name))

    def saved_in_collections(self, user: User, paper_ids: Iterable[str]) -> dict[str, list[str]]:
        """For each of these papers the member saved, the names of the collections holding it."""
        pks = self.catalog.pks_of(paper_ids)
        names = self.store.saved_by(user.id, list(pks.values()))
        return {paper_id: names[pk] for paper_id, pk in pks.items() if pk in names}

    def import_collection(
        self, user: User, name: str, data: bytes, *, origin: str = "<import>"
    ) -> CollectionImport:
        """Save into a collection the papers of a BibTeX file (imported into the library when new)
        or of a list of ids (arXiv ids or URLs, DOIs, one per line or separated by spaces or commas)."""
        result = CollectionImport()
        text = data.decode("utf-8", errors="replace")
        if sources.sniff(data[:4096]) == "bibtex":
            report = IngestReport()
            papers: list[Paper] = []
            for record in sources.read_stream(io.BytesIO(data), origin, "bibtex"):
                if isinstance(record, Paper):
                    papers.append(record)
                else:
                    report.rejected.append(record)
            self.ingester.ingest_records(papers, report=report, origin=origin)
            self.ingester.refresh_index(report=report)
            result.new_papers, result.rejected = report.added, report.rejected
            wanted = [paper.id for paper in papers]
        else:
            wanted = [token for token in re.split(r"[\s,;]+", text) if token]
        found = []
        for paper_id in dict.fromkeys(wanted):
            pk = self.catalog.find_pk(paper_id)
            if pk is None:
                result.missing.append(paper_id)
            else:
                found.append(pk)
        collection_id = self.store.collection_id(user.id, _collection_name(name), create=True)
        assert collection_id is not None
        result.saved = self.store.save_to_collection(collection_id, found)
        return result

    def export_collection(self, user: User, name: str, format_name: str = "bibtex") -> Iterator[str]:
        """A collection's papers as BibTeX or JSON Lines (the notes go into JSON as `note`)."""
        saved = self.collection(user, name)
        if format_name == "json":
            entries = [
                {**paper_to_json(item.paper), "note": item.note, "saved_at": item.saved_at} for item in saved
            ]
            return iter(
                [json.dumps({"collection": name, "papers": entries}, ensure_ascii=False, indent=1) + "\n"]
            )
        return export_lines((item.paper for item in saved), format_name)

    def collection_id(self, user: User, name: str) -> int:
        collection_id = self.store.collection_id(user.id, name.strip())
        if collection_id is None:
            raise CollectionError(f"you have no collection named {name.strip()!r}")
        return collection_id


def _collection_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise CollectionError("a collection needs a name")
    if len(name) > MAX_COLLECTION_NAME:
        raise CollectionError(f"a collection's name has at most {MAX_COLLECTION_NAME} characters")
    return name


def _note(note: str | None) -> str | None:
    if note is not None and len(note) > MAX_NOTE:
        raise CollectionError(f"a note has at most {MAX_NOTE:,} characters")
    return note
