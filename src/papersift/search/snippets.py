"""Snippets: the passage of an abstract that best matches a query, with the matches marked.

Pure functions. Highlights are (start, end) character offsets into the snippet, so each face
renders them its own way (HTML `<mark>`, terminal bold) without parsing markup back out.
"""

from __future__ import annotations

import re
from functools import lru_cache

from papersift.search.tokens import fold, stem, stem_root, term_matches, words


def contains_phrase(text: str, phrase: list[str]) -> bool:
    """Whether the words of `phrase` occur in `text` next to each other, in order.

    Words compare by stem ("vision transformers" matches "vision transformer"); every word
    counts, stop words too, so "vision of the transformer" does not match "vision transformer".
    """
    # The outline finds, in C, each place where consecutive words begin as the phrase's do; only
    # there are the words stemmed (stemming every word of every candidate made a common phrase
    # like "a framework for" take 300 ms). A place is tried one character after the last, so
    # overlapping places are all seen. The pattern starts at the phrase's most telling word;
    # the words before it are checked before the place.
    folded = fold(text)
    target = [stem(w) for w in phrase]
    outline, lead = _phrase_outline(tuple(phrase))
    if outline is None:  # no word gives the pattern a letter to look for: compare every word
        sequence = [stem(w) for w in words(folded)]
        return any(sequence[i : i + len(target)] == target for i in range(len(sequence) - len(target) + 1))
    position = 0
    while (match := outline.search(folded, position)) is not None:
        start = match.start()
        if not (start and _WORD_CHARACTER.match(folded, start - 1)):  # at a word's start
            found = words(match.group())
            if lead:
                begin = max(0, start - 40 * lead)
                before = words(folded[begin:start])
                if begin and len(before) <= lead:  # the first may be cut: long words, read all
                    before = words(folded[:start])
                found = before[-lead:] + found if len(before) >= lead else []
            if [stem(w) for w in found] == target:
                return True
        position = start + 1
    return False


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
def _phrase_outline(phrase: tuple[str, ...]) -> tuple[re.Pattern[str] | None, int]:
    """A pattern matching, from a word's start, every place of a folded text where `phrase`
    occurs, and how many leading words of the phrase it leaves out (see below).

    The pattern is consecutive words that begin as the phrase's words' stems do (`stem_root`),
    each matched whole: far from exact ("is" becomes any word in "i"), but a regex in C. It
    starts with a literal, which `re` finds by a fast scan: a look-behind for the word boundary
    (the caller checks it) made it 3x slower, and a leading word with no root ("a") 10x. So it
    starts at the first word with a root of three letters or more, else at the longest ("for
    training data" is looked for as "train... dat..."), and the words before it are left to
    the caller. None when no word has a root.
    """
    roots = [stem_root(stem(word)) for word in phrase]
    longest = max(range(len(roots)), key=lambda i: (len(roots[i]), -i))
    lead = next((i for i, root in enumerate(roots) if len(root) >= 3), longest)
    if not roots[lead]:
        return None, lead
    starts = [re.escape(root) + r"[^\W_]*" if root else r"[^\W_]+" for root in roots[lead:]]
    return re.compile(r"[\W_]+".join(starts)), lead


_WORD_CHARACTER = re.compile(r"[^\W_]")
