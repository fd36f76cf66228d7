"""Search by meaning through the Library: embedding at ingest, semantic and hybrid search with
filters, similar papers, "more like these", incremental and resumable embedding.

One library of the first demo papers is embedded once (real model, ONNX, a few seconds) and
shared by the read-only tests; tests that change papers make their own small library.
"""

from __future__ import annotations

import gzip
import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from conftest import MODEL, LibraryLocations
from papersift import Library
from papersift.cli import DEMO_CORPUS
from papersift.embed import ModelUnavailable
from papersift.search.tokens import fold

SAMPLE = 240
Records = list[dict[str, object]]


def demo_records(count: int, start: int = 0) -> Records:
    with gzip.open(DEMO_CORPUS, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in itertools.islice(lines, start, start + count)]


def write_jsonl(path: Path, records: Records) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def records() -> Records:
    return demo_records(SAMPLE)


@pytest.fixture(scope="module")
def lib(
    tmp_path_factory: pytest.TempPathFactory, records: Records, library_locations: LibraryLocations
) -> Iterator[Library]:
    folder = tmp_path_factory.mktemp("semantic")
    twin = dict(records[0], id="2699.00001", doi=None)  # the same text under another arXiv id
    library = Library.open(library_locations.new(folder), embedding_model=MODEL)
    report = library.ingest(write_jsonl(folder / "papers.jsonl", [*records, twin]))
    assert report.ok and report.added == SAMPLE + 1
    yield library
    library.close()


def test_ingest_embeds_every_paper_once(lib: Library, tmp_path: Path, records: Records) -> None:
    assert lib.stats()["embedded"] == SAMPLE + 1
    again = lib.ingest(write_jsonl(tmp_path / "again.jsonl", records[:20]))
    assert again.unchanged == 20 and again.embedded == 0


def test_a_paper_is_its_own_nearest_neighbour_by_title(lib: Library, records: Records) -> None:
    for record in records[5:25]:
        hits = lib.search(str(record["title"]), mode="semantic", limit=1)
        assert hits.mode == "semantic"
        assert hits[0].id == record["id"]
        assert 0.0 < hits[0].score <= 1.0001  # a cosine (title alone against title + abstract)


def test_semantic_search_finds_meaning_without_shared_words(lib: Library) -> None:
    # The query says neither "dialogue" nor "conversation"; its meaning does.
    hits = lib.search("chatbots that talk like people", mode="semantic", limit=5)
    texts = [fold(h.paper.title + " " + h.paper.abstract) for h in hits]
    about_dialogue = [t for t in texts if "dialog" in t or "conversation" in t]
    assert len(about_dialogue) >= 3, [h.paper.title for h in hits]


def test_hybrid_is_the_default_and_ranks_keyword_and_semantic_matches(lib: Library) -> None:
    results = lib.search("diffusion models for image generation")
    assert results.mode == "hybrid"
    keyword = {h.id for h in lib.search("diffusion models for image generation", mode="keyword", limit=10)}
    semantic = {h.id for h in lib.search("diffusion models for image generation", mode="semantic", limit=10)}
    assert {h.id for h in results} <= keyword | semantic | {h.id for h in results[10:]}
    assert {h.id for h in results} & keyword and {h.id for h in results} & semantic
    scores = [h.score for h in results]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("mode", ["hybrid", "semantic", "keyword"])
def test_filters_apply_in_every_mode(lib: Library, mode: str, records: Records) -> None:
    category = "cs.CL"
    hits = lib.search(f"language models cat:{category}", mode=mode, limit=20)  # type: ignore[arg-type]
    assert hits and all(category in h.paper.categories for h in hits)
    author = lib.paper(str(records[3]["id"])).authors[0]
    by_author = lib.search("learning", mode=mode, author=author, limit=20)  # type: ignore[arg-type]
    assert all(any(fold(author) in fold(a) for a in h.paper.authors) for h in by_author)
    nothing = lib.search("learning year:1999", mode=mode)  # type: ignore[arg-type]
    assert len(nothing) == 0
    excluded = lib.search("image generation -diffusion", mode=mode, limit=30)  # type: ignore[arg-type]
    assert excluded and all("diffusion" not in fold(h.paper.title + " " + h.paper.abstract) for h in excluded)


def test_a_quoted_phrase_must_appear_in_hybrid_results(lib: Library) -> None:
    hits = lib.search('"large language models" reasoning', limit=20)
    assert hits
    for hit in hits:
        assert "large language model" in fold(hit.paper.title + " " + hit.paper.abstract)


@pytest.mark.parametrize("mode", ["hybrid", "semantic"])
def test_queries_of_any_length_work(lib: Library, mode: str, records: Records) -> None:
    long_query = " ".join(str(r["abstract"]) for r in records[:8])  # far past the model's 256 tokens
    assert len(lib.search(long_query, mode=mode, limit=5)) == 5  # type: ignore[arg-type]
    assert len(lib.search("x", mode=mode, limit=5)) == 5  # type: ignore[arg-type]
    filters_only = lib.search("cat:cs.CV", mode=mode, limit=5)  # type: ignore[arg-type]
    assert len(filters_only) == 5 and filters_only.mode == mode  # newest first, in any mode


def test_pages_of_hybrid_results_continue_each_other(lib: Library) -> None:
    first = lib.search("neural networks", limit=10)
    second = lib.search("neural networks", limit=10, offset=10)
    both = lib.search("neural networks", limit=20)
    assert [h.id for h in [*first, *second]] == [h.id for h in both]


def test_similar_papers_leave_out_the_paper_and_its_duplicates(lib: Library, records: Records) -> None:
    paper_id = str(records[0]["id"])
    hits = lib.similar(paper_id, limit=10)
    ids = [h.id for h in hits]
    assert len(hits) == 10 and len(set(ids)) == 10
    assert paper_id not in ids and "2699.00001" not in ids  # itself, and the same text under another id
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True) and scores[0] < 0.995


def test_similar_papers_are_related(lib: Library, records: Records) -> None:
    # A paper's nearest neighbours share its primary category far more often than chance.
    same, total = 0, 0
    for record in records[10:40]:
        primary = lib.paper(str(record["id"])).categories[0]
        for hit in lib.similar(str(record["id"]), limit=5):
            same += primary in hit.paper.categories
            total += 1
    shares = [lib.paper(str(r["id"])).categories[0] for r in records]
    chance = max(shares.count(c) for c in set(shares)) / len(shares)
    assert same / total > max(0.6, chance + 0.1)


def test_similar_within_a_set_and_for_unknown_ids(lib: Library, records: Records) -> None:
    pool = [str(r["id"]) for r in records[50:80]]
    hits = lib.similar(str(records[0]["id"]), limit=50, within=pool)
    assert {h.id for h in hits} == set(pool)
    with pytest.raises(Exception, match="no paper"):
        lib.similar("0000.00000")


def test_more_like_these_ranks_by_all_seeds_and_leaves_them_out(lib: Library, records: Records) -> None:
    seeds = [str(r["id"]) for r in records[:3]]
    hits = lib.more_like(seeds, limit=10)
    assert len(hits) == 10 and not set(seeds) & {h.id for h in hits}
    single = [h.id for h in lib.more_like(seeds[:1], limit=10)]
    assert single == [h.id for h in lib.similar(seeds[0], limit=10)]


# -- incremental, resumable, switchable --------------------------------------------------------


def test_only_papers_whose_text_changed_are_embedded_again(tmp_path: Path) -> None:
    records = demo_records(12, start=300)
    with Library.open(tmp_path / "lib.db", embedding_model=MODEL) as lib:
        assert lib.ingest(write_jsonl(tmp_path / "a.jsonl", records)).embedded == 12
        changed = [  # second versions: one moves category, one gets a new abstract
            dict(records[0], id=f"{records[0]['id']}v2", categories=["cs.DL"]),
            dict(records[1], id=f"{records[1]['id']}v2", abstract="A new abstract. " * 5),
        ]
        report = lib.ingest(write_jsonl(tmp_path / "b.jsonl", changed))
        assert report.updated == 2
        assert report.embedded == 1  # the category change keeps its vector
        new_text = f"{records[1]['title']}. " + "A new abstract. " * 5
        hits = lib.search(new_text, mode="semantic", limit=1)
        assert hits[0].id == records[1]["id"] and hits[0].score > 0.99


def test_an_interrupted_embedding_run_resumes_with_the_papers_left(tmp_path: Path) -> None:
    records = demo_records(35, start=400)
    path = write_jsonl(tmp_path / "a.jsonl", records)

    def stop_after_two_windows(done: int, total: int) -> None:
        if done >= 20:
            raise KeyboardInterrupt

    location = tmp_path / "lib.db"
    with (
        Library.open(location, embedding_model=MODEL, embed_window=10) as lib,
        pytest.raises(KeyboardInterrupt),
    ):
        lib.ingest(path, on_embed=stop_after_two_windows)
    with Library.open(location, embedding_model=MODEL, embed_window=10) as lib:
        assert lib.stats()["embedded"] == 20  # two committed windows, nothing half-written
        report = lib.ingest(path)
        assert report.unchanged == 35 and report.embedded == 15
        assert lib.stats()["embedded"] == 35
        assert lib.search(str(records[-1]["title"]), mode="semantic", limit=1)[0].id == records[-1]["id"]


def test_the_vector_index_file_is_a_cache_rebuilt_from_the_store(tmp_path: Path) -> None:
    records = demo_records(15, start=500)
    with Library.open(tmp_path / "lib.db", embedding_model=MODEL) as lib:
        lib.ingest(write_jsonl(tmp_path / "a.jsonl", records))
        before = [(h.id, round(h.score, 5)) for h in lib.similar(str(records[0]["id"]), limit=5)]
    vector_files = list((tmp_path / "lib.db-index").glob("vectors-*.npz"))
    assert len(vector_files) == 1
    vector_files[0].write_bytes(b"not an index")
    with Library.open(tmp_path / "lib.db", embedding_model=MODEL) as lib:
        after = [(h.id, round(h.score, 5)) for h in lib.similar(str(records[0]["id"]), limit=5)]
        assert after == before
        lib.drop_index(embeddings=True)
        assert lib.stats()["embedded"] == 0
        report = lib.ingest(write_jsonl(tmp_path / "a.jsonl", records))
        assert report.embedded == 15


def test_each_model_and_precision_keeps_its_own_vectors(tmp_path: Path) -> None:
    records = demo_records(6, start=600)
    path = write_jsonl(tmp_path / "a.jsonl", records)
    with Library.open(tmp_path / "lib.db", embedding_model=MODEL) as lib:
        assert lib.ingest(path).embedded == 6
    with Library.open(tmp_path / "lib.db", embedding_model=MODEL, embedding_precision="int8") as lib:
        assert lib.stats()["embedding_model"] == f"{MODEL}@int8"
        assert lib.ingest(path).embedded == 6
        assert lib.similar(str(records[0]["id"]), limit=3)
    assert len(list((tmp_path / "lib.db-index").glob("vectors-*.npz"))) == 2


def test_without_the_model_search_is_keyword_only_and_says_so(tmp_path: Path) -> None:
    records = demo_records(5, start=700)
    with Library.open(tmp_path / "lib.db", embedding_model=str(tmp_path / "no-such-model")) as lib:
        report = lib.ingest(write_jsonl(tmp_path / "a.jsonl", records))
        assert report.ok and report.embedded == 0
        assert any("not embedded" in note and "no-such-model" in note for note in report.notes)
        results = lib.search(str(records[0]["title"]))
        assert results.mode == "keyword" and results[0].id == records[0]["id"]
        with pytest.raises(ModelUnavailable, match="no-such-model"):
            lib.search("anything", mode="semantic")
        with pytest.raises(ModelUnavailable):
            lib.similar(str(records[0]["id"]))


def test_semantic_scores_are_cosines_of_the_stored_embeddings(lib: Library) -> None:
    semantic = lib.indexes.semantic(required=True)
    assert semantic is not None
    query = "robust speech recognition"
    hits = lib.search(query, mode="semantic", limit=3)
    vector = semantic.embed_query(query)
    stored = semantic.vectors_of([lib.catalog.pk(h.id) for h in hits])
    for hit in hits:
        assert np.isclose(float(stored[lib.catalog.pk(hit.id)] @ vector), hit.score, atol=1e-5)
