"""Tokenising and stemming, shared by the keyword index, the query parser and snippets.

One definition of a "term" keeps indexing, querying, phrase checks and highlighting in agreement:
accents folded, case folded, runs of letters/digits, English stop words dropped, Snowball-stemmed.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from functools import lru_cache

import Stemmer

_WORD = re.compile(r"[^\W_]+")
_STEMMER = Stemmer.Stemmer("english")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")

# The stop words of Lucene's English analyzer (what BM25 baselines such as BEIR's use), plus a
# few words of abstracts' boilerplate that carry no topic ("we", "our", "paper", "propose").
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "if",
        "in",
        "into",
        "is",
        "it",
        "no",
        "not",
        "of",
        "on",
        "or",
        "such",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "will",
        "with",
        "we",
        "our",
        "us",
        "can",
        "from",
        "has",
        "have",
        "been",
        "which",
        "also",
        "its",
        "than",
        "via",
        "using",
        "based",
        "these",
        "those",
        "were",
        "while",
    ]
)


def fold(text: str) -> str:
    """Case-folded text with accents removed ("Müller" -> "muller")."""
    text = text.casefold()
    if _NON_ASCII.search(text):
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return text


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return str(_STEMMER.stemWord(word))


def words(text: str) -> list[str]:
    """The folded words of a text, stop words included (for names and phrase positions)."""
    return _WORD.findall(fold(text))


_STEM_OF: dict[str, str | None] = {}  # word -> term (None for a stop word); bounded below
_STEM_CACHE_LIMIT = 1_000_000


def term_counts(text: str) -> tuple[dict[str, int], int]:
    """How often each term occurs in `text`, and how many terms it has (its BM25 length).

    The hot loop of indexing: words are counted first (in C), then each distinct word is
    stemmed once through a cache.
    """
    counts: dict[str, int] = {}
    length = 0
    stem_of = _STEM_OF
    for word, count in Counter(_WORD.findall(fold(text))).items():
        term = stem_of.get(word, "")
        if term == "":
            term = None if word in STOP_WORDS else stem(word)
            if len(stem_of) < _STEM_CACHE_LIMIT:
                stem_of[word] = term
        if term is not None:
            counts[term] = counts.get(term, 0) + count
            length += count
    return counts, length


def term_spans(text: str) -> Iterator[tuple[str, int, int]]:
    """(term, start, end) for each non-stop word of `text`, offsets into the original string.

    Folding can change lengths (ß -> ss), so offsets come from matching the original text.
    """
    for match in _WORD.finditer(text):
        folded = fold(match.group())
        for word in _WORD.findall(folded):
            if word not in STOP_WORDS:
                yield stem(word), match.start(), match.end()
