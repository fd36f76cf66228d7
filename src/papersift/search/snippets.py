"""Snippets: the passage of an abstract that best matches a query, with the matches marked.

Pure functions. Highlights are (start, end) character offsets into the snippet, so each face
renders them its own way (HTML `<mark>`, terminal bold) without parsing markup back out.
"""

from __future__ import annotations

import re
from functools import lru_cache

from papersift.search.tokens import fold, stem, term_matches, words


def contains_phrase(text: str, phrase: list[str]) -> bool:
    """Whether the words of `phrase` occur in `text` next to each other, in order.

    Words compare by stem ("vision transformers" matches "vision transformer"); every word
    counts, stop words too, so "vision of the transformer" does not match "vision transformer".
    """
    if not _phrase_outline(tuple(phrase)).search(fold(text)):
        return False  # most candidates of a rare phrase end here, without stemming the text
    target = [stem(w) for w in phrase]
    sequence = [stem(w) for w in words(text)]
    width, first = len(target), target[0]
    return any(
        sequence[i] == first and sequence[i : i + width] == target for i in range(len(sequence) - width + 1)
    )


def make_snippet(text: str, wanted: set[str], *, max_chars: int = 240) -> tuple[str, list[tuple[int, int]]]:
    """The window of `text` (about `max_chars` long) holding the most query terms, and their spans.

    With no match, the start of the text. Windows start and end on word boundaries; an ellipsis
    marks text cut off.
    """
    matches = term_matches(text, wanted)
    if len(text) <= max_chars:
        return text, matches
    best_start, best_count = 0, -1
    right = 0
    for left, (start, _end) in enumerate(matches):
        while right < len(matches) and matches[right][1] - start <= max_chars:
            right += 1
        distinct = len({text[s:e].casefold() for s, e in matches[left:right]})
        if distinct > best_count:
            best_start, best_count = start, distinct
    if best_count <= 0:
        best_start = 0
    # Back up a little so the first match has some context before it.
    begin = max(0, best_start - max_chars // 6)
    if begin:
        space = text.rfind(" ", 0, begin + 1)
        begin = space + 1 if space >= 0 else begin
    end = min(len(text), begin + max_chars)
    if end < len(text):
        space = text.rfind(" ", begin, end)
        end = space if space > begin else end
    prefix = "… " if begin > 0 else ""
    suffix = " …" if end < len(text) else ""
    snippet = prefix + text[begin:end] + suffix
    shift = len(prefix) - begin
    inside = [(s + shift, e + shift) for s, e in matches if s >= begin and e <= end]
    return snippet, inside


@lru_cache(maxsize=256)
def _phrase_outline(phrase: tuple[str, ...]) -> re.Pattern[str]:
    """A pattern every folded text containing `phrase` matches: consecutive words that begin as
    the phrase's words' stems do. A word and its stem share all but the stem's last letter, or
    last two when the stem ends in "ie" ("lying" -> "lie"): checked on every word of the 75k
    arXiv abstracts. Far from exact ("is" becomes any word in "i"), but a regex in C."""
    starts = []
    for word in phrase:
        root = stem(word)
        root = root[:-2] if root.endswith("ie") else root[:-1]
        starts.append(re.escape(root) + r"[^\W_]*")
    # No word-boundary check before the first word: the pattern then starts with a literal, which
    # `re` finds by a fast scan (with a look-behind first, it tried every position: 3x slower).
    return re.compile(r"[\W_]+".join(starts))
