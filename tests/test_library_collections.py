"""A member's library through the Library: collections (tags) of saved papers, notes, import, export."""

from __future__ import annotations

import json
from datetime import date

import pytest

from papersift import Library
from papersift.errors import CollectionError, PaperNotFound
from papersift.members.accounts import User
from papersift.records import Paper


def paper(number: int) -> Paper:
    return Paper(
        id=f"2606.{number:05d}",
        title=f"Paper number {number} on topic {number % 3}",
        abstract=f"An abstract about topic {number % 3}.",
        authors=("Ada Lovelace",),
        categories=("cs.LG",),
        published=date(2026, 6, number),
        source="test",
    )


@pytest.fixture
def lib(library: Library) -> Library:
    library.ingest_records([paper(n) for n in range(1, 8)])
    library.refresh_index()
    return library


@pytest.fixture
def ada(lib: Library) -> User:
    return lib.accounts.sign_up("ada@example.org", "correct horse", name="Ada")


def test_saving_into_named_collections_with_notes(lib: Library, ada: User) -> None:
    assert lib.save_papers(ada, ["2606.00001", "2606.00002"], "Reading") == 2
    assert lib.save_papers(ada, ["2606.00002", "arXiv:2606.00003v2"], "Reading") == 1  # saved once
    assert lib.save_papers(ada, ["2606.00001"], "  Diffusion   models ", note="compare with DDPM") == 1
    assert lib.collections(ada) == [
        *[c for c in lib.collections(ada) if c.name == "Diffusion models"],
        *[c for c in lib.collections(ada) if c.name == "Reading"],
    ]
    assert {(c.name, c.papers) for c in lib.collections(ada)} == {("Diffusion models", 1), ("Reading", 3)}
    saved = lib.collection(ada, "Diffusion models")
    assert [(s.paper.id, s.note) for s in saved] == [("2606.00001", "compare with DDPM")]
    # Saving again keeps the note unless a new one is given.
    lib.save_papers(ada, ["2606.00001"], "Diffusion models")
    assert lib.collection(ada, "Diffusion models")[0].note == "compare with DDPM"
    lib.save_papers(ada, ["2606.00001"], "Diffusion models", note="")
    assert lib.collection(ada, "Diffusion models")[0].note == ""
    assert lib.saved_in_collections(ada, ["2606.00001", "2606.00004"]) == {
        "2606.00001": ["Diffusion models", "Reading"]
    }
    assert lib.unsave_paper(ada, "2606.00001", "Reading") is True
    assert lib.unsave_paper(ada, "2606.00001", "Reading") is False
    lib.delete_collection(ada, "Reading")
    assert [c.name for c in lib.collections(ada)] == ["Diffusion models"]


def test_collections_are_private_to_their_member(lib: Library, ada: User) -> None:
    bob = lib.accounts.sign_up("bob@example.org", "correct horse")
    lib.save_papers(ada, ["2606.00001"], "Reading")
    assert lib.collections(bob) == []
    with pytest.raises(CollectionError, match="no collection named 'Reading'"):
        lib.collection(bob, "Reading")
    lib.save_papers(bob, ["2606.00005"], "Reading")
    assert [s.paper.id for s in lib.collection(ada, "Reading")] == ["2606.00001"]


def test_bad_saves_change_nothing(lib: Library, ada: User) -> None:
    with pytest.raises(PaperNotFound, match=r"2606\.99999"):
        lib.save_papers(ada, ["2606.00001", "2606.99999"], "Reading")
    assert lib.collections(ada) == []
    with pytest.raises(CollectionError, match="needs a name"):
        lib.save_papers(ada, ["2606.00001"], "   ")
    with pytest.raises(CollectionError, match="at most"):
        lib.save_papers(ada, ["2606.00001"], "x" * 101)
    with pytest.raises(CollectionError, match="note"):
        lib.save_papers(ada, ["2606.00001"], "Reading", note="x" * 10_001)
    assert lib.collections(ada) == []


def test_import_a_list_of_ids_and_export_it_back(lib: Library, ada: User) -> None:
    ids = b"2606.00001\nhttps://arxiv.org/abs/2606.00002v3, arXiv:2606.00003 2606.99999\n\n2606.00001"
    result = lib.import_collection(ada, "From a list", ids)
    assert (result.saved, result.new_papers, result.missing) == (3, 0, ["2606.99999"])
    exported = json.loads("".join(lib.export_collection(ada, "From a list", "json")))
    assert exported["collection"] == "From a list"
    assert sorted(p["id"] for p in exported["papers"]) == ["2606.00001", "2606.00002", "2606.00003"]
    assert all("note" in p and "saved_at" in p for p in exported["papers"])
    bibtex = "".join(lib.export_collection(ada, "From a list", "bibtex"))
    assert bibtex.count("@article{") + bibtex.count("@misc{") == 3


def test_import_bibtex_adds_unknown_papers_and_saves_them(lib: Library, ada: User) -> None:
    bibtex = b"""
@article{known, title = {Paper number 1 on topic 1}, eprint = {2606.00001}, archivePrefix = {arXiv},
  author = {Lovelace, Ada}, year = {2026}}
@article{new, title = {A Brand New Study of Graph Rewiring}, author = {Noether, Emmy},
  year = {2025}, doi = {10.1000/xyz123}, abstract = {We rewire graphs.}}
@article{broken, author = {Nobody}}
"""
    result = lib.import_collection(ada, "From BibTeX", bibtex, origin="refs.bib")
    assert result.saved == 2 and result.new_papers == 1 and result.missing == []
    assert len(result.rejected) == 1 and "refs.bib" in result.rejected[0].place
    titles = sorted(s.paper.title for s in lib.collection(ada, "From BibTeX"))
    assert titles == ["A Brand New Study of Graph Rewiring", "Paper number 1 on topic 1"]
    assert (
        lib.search("graph rewiring", mode="keyword")[0].paper.title == "A Brand New Study of Graph Rewiring"
    )


def test_a_bibtex_year_does_not_move_a_known_papers_date(lib: Library, ada: User) -> None:
    bibtex = b"@article{k, title = {Paper number 5 on topic 2}, eprint = {2606.00005}, year = {2026}}"
    lib.import_collection(ada, "Years", bibtex)
    assert lib.paper("2606.00005").published == date(2026, 6, 5)  # not 2026-01-01
    earlier = b"@article{k, title = {Paper number 6 on topic 0}, eprint = {2606.00006}, year = {2025}}"
    lib.import_collection(ada, "Years", earlier)
    assert lib.paper("2606.00006").published == date(2025, 1, 1)  # a year before is a real fact
