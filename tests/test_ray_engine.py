"""`ingest --engine ray`: embedding on a Ray actor pool gives the library the local engine gives
(same papers, same fields, vectors within 1e-5). Ray really starts here (2 CPUs)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from conftest import MODEL, demo_sample
from papersift import Library
from papersift.embed.distributed import pack_by_tokens


def test_packets_hold_about_a_budget_of_tokens_and_every_row_once() -> None:
    window = [(pk, bytes([pk]), "x" * pk) for pk in range(1, 41)]
    tokens = [pk * 10 for pk, _, _ in window]
    tokens[5] = 5000  # a text longer than the budget travels alone
    packets = pack_by_tokens(window, tokens, budget=1000)
    rows = [pk for packet in packets for pk in packet["pks"]]
    assert sorted(rows) == list(range(1, 41))
    by_pk = dict(zip(range(1, 41), tokens, strict=True))
    for packet in packets:
        used = sum(by_pk[pk] for pk in packet["pks"])
        assert used <= 1000 or len(packet["pks"]) == 1
        assert packet["texts"] == ["x" * pk for pk in packet["pks"]]
    assert [6] in [packet["pks"] for packet in packets]


def test_the_ray_engine_embeds_as_the_local_engine_does(
    new_location: Callable[[str], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("ray")
    sample = demo_sample(tmp_path / "sample.jsonl", 80)
    monkeypatch.setattr("papersift.embed.distributed.TOKENS_PER_TASK", 3000)  # ~15 papers a packet
    with Library.open(new_location("local"), embedding_model=MODEL) as local:
        assert local.ingest(sample).embedded == 80
        papers = {paper.id: paper for paper in local.papers()}
        key = local.indexes.semantic(required=True).key  # type: ignore[union-attr]
        pks = local.store.pks_of(list(papers))
        expected = local.store.embeddings_by_pk(key, list(pks.values()))
    with Library.open(new_location("ray"), embedding_model=MODEL) as distributed:
        report = distributed.ingest(sample, engine="ray")
        assert report.ok and report.embedded == 80
        assert {paper.id: paper for paper in distributed.papers()} == papers
        theirs = distributed.store.pks_of(list(papers))
        found = distributed.store.embeddings_by_pk(key, list(theirs.values()))
        for paper_id, pk in pks.items():
            ours = np.frombuffer(found[theirs[paper_id]], dtype="<f4")
            assert np.abs(ours - np.frombuffer(expected[pk], dtype="<f4")).max() <= 1e-5
        hit = distributed.search(next(iter(papers.values())).title, mode="semantic", limit=1)
        assert hit[0].id == next(iter(papers))
