"""The shortcuts that make snippets and phrase checks fast must agree with the slow, exact way.

Checked over the bundled demo corpus (real arXiv abstracts), plus the words where a stem is not
a prefix of its word.
"""

from __future__ import annotations

import gzip
import json
import random
import re

import pytest

from papersift.cli import DEMO_CORPUS
from papersift.search import tokens
from papersift.search.snippets import contains_phrase
from papersift.search.tokens import STOP_WORDS, stem, stem_root, term_matches, words


@pytest.fixture(scope="module")
def abstracts() -> list[str]:
    with gzip.open(DEMO_CORPUS, "rt", encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines]
    return [record["abstract"] for record in records] + [
        "Lying, dying and tying: the vying stemmer's exceptions.",
        "Snake_case_words, x-ray CO2 3D-printing and Müller's straße.",  # not ASCII: the slow path
    ]


def word_terms(text: str) -> list[tuple[tuple[int, int], set[str]]]:
    """Each word's span and terms, folded and stemmed one by one: the definition term_matches
    must keep to."""
    return [
        (match.span(), {stem(w) for w in words(match.group()) if w not in STOP_WORDS})
        for match in re.finditer(r"[^\W_]+", text)
    ]


def test_every_word_begins_with_its_stems_root(abstracts: list[str]) -> None:
    vocabulary = {word for text in abstracts for word in words(text)}
    assert {"lying", "dying", "tying", "vying"} <= vocabulary
    assert [w for w in vocabulary if not w.startswith(stem_root(stem(w)))] == []


def test_term_matches_finds_what_stemming_every_word_finds(abstracts: list[str]) -> None:
    rng = random.Random(7)
    vocabulary = sorted({stem(w) for text in abstracts for w in words(text) if w not in STOP_WORDS})
    wanted_sets = [{"lie", "die"}, {"snake", "x", "co2", "3d", "muller", "strass"}]
    wanted_sets += [set(rng.sample(vocabulary, rng.randint(1, 6))) for _ in range(40)]
    found = 0
    for text in abstracts[:300] + abstracts[-2:]:
        spans = word_terms(text)
        for wanted in wanted_sets:
            expected = [span for span, terms in spans if terms & wanted]
            assert term_matches(text, wanted) == expected, (wanted, text[:80])
            found += len(expected)
    assert found > 200  # the sets do match words (a test of nothing otherwise)


def test_the_phrase_prefilter_never_rejects_a_real_phrase(
    abstracts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(11)
    checked = 0
    for text in abstracts:
        sequence = words(text)
        for _ in range(3):
            if len(sequence) < 4:
                break
            start = rng.randrange(len(sequence) - 3)
            phrase = sequence[start : start + rng.randint(1, 3)]
            assert contains_phrase(text, phrase), phrase
            checked += 1
    assert checked > 100
    assert contains_phrase("the lying cat", ["lies"]) and contains_phrase("the dying cat", ["die"])
    assert not contains_phrase("vision of the transformer", ["vision", "transformer"])
    # Leading words with no root are checked before the place the pattern finds.
    assert contains_phrase("We propose A Framework, for all", ["a", "framework", "for"])
    assert not contains_phrase("We propose framework for all", ["a", "framework", "for"])
    assert not contains_phrase("a. framework for", ["s", "framework", "for"])
    assert contains_phrase("x a y", ["a"]) and not contains_phrase("x ab y", ["a"])


def test_the_caches_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "_STEM_CACHE_LIMIT", 0)
    monkeypatch.setattr(tokens, "_TERMS_OF_TOKEN", {})
    assert term_matches("Graphs of graph neural networks", {"graph"}) == [(0, 6), (10, 15)]
    assert tokens._TERMS_OF_TOKEN == {}
