"""Tokenising and stemming, shared by the keyword index, the query parser and snippets.

One definition of a "term" keeps indexing, querying, phrase checks and highlighting in agreement:
accents folded, case folded, runs of letters/digits, English stop words dropped, Snowball-stemmed.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
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


def term_matches(text: str, wanted: set[str] | frozenset[str]) -> list[tuple[int, int]]:
    """(start, end) of each word of `text` whose term is in `wanted`, offsets into the original string.

    Snippets call this for every abstract on a results page, where folding and stemming each
    token was 40% of a hybrid search. An ASCII text (nearly all) is scanned once, in C, for
    words that begin as a wanted term does (`word_outline`), and only those are stemmed; any
    other text is split into words first, since folding can change lengths (ß -> ss) and the
    offsets must point into the original.
    """
    if text.isascii():
        candidates = word_outline(frozenset(wanted)).finditer(text)
        return [match.span() for match in candidates if not wanted.isdisjoint(_terms_of(match.group()))]
    hits = {token for token in set(_WORD.findall(text)) if not wanted.isdisjoint(_terms_of(token))}
    if not hits:
        return []
    return [match.span() for match in _WORD.finditer(text) if match.group() in hits]


def stem_root(term: str) -> str:
    """What every word whose stem is `term` begins with: the stem less its last letter, or its
    last two for a stem in "ie" ("lying" -> "lie"). Checked on every word of the 75k arXiv
    abstracts (tests/test_tokens.py)."""
    return term[:-2] if term.endswith("ie") else term[:-1]


@lru_cache(maxsize=256)
def word_outline(terms: frozenset[str]) -> re.Pattern[str]:
    """A pattern matching, whole, every word whose stem is one of `terms` (and more words besides)."""
    roots = "|".join(sorted(re.escape(stem_root(term)) for term in terms))
    return re.compile(rf"(?<![^\W_])(?:{roots})[^\W_]*", re.IGNORECASE)


def _terms_of(token: str) -> tuple[str, ...]:
    terms = _TERMS_OF_TOKEN.get(token)
    if terms is None:
        terms = tuple(stem(word) for word in _WORD.findall(fold(token)) if word not in STOP_WORDS)
        if len(_TERMS_OF_TOKEN) < _STEM_CACHE_LIMIT:
            _TERMS_OF_TOKEN[token] = terms
    return terms


_TERMS_OF_TOKEN: dict[str, tuple[str, ...]] = {}  # a token as written -> its terms; bounded
