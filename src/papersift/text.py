"""Normalisation of text that comes from outside: pure functions, no I/O.

arXiv metadata carries the hard line breaks of the submission form, runs of spaces, and LaTeX
markup debris (`\\%`, `~`, `\\ie`, `\\textbf{...}`, accent commands); pages exported from paper
sites carry `{this https URL}` placeholders and URLs repeated in braces. Every field from outside
goes through these functions once, at the edge; the raw text is kept beside the clean text.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from email.utils import parsedate_to_datetime

# arXiv's listing replaces URLs it shortens with "{this https URL}"; page exports keep it.
_URL_PLACEHOLDER = re.compile(r"\{\s*this\s+https?\s+URL\s*\}", re.IGNORECASE)
# "https://github.com/a/b{https://github.com/a/b}": the same URL repeated in braces.
_REPEATED_URL = re.compile(r"(https?://[^\s{}]+)\{\s*(https?://[^\s{}]+)\s*\}")
_ABBREVIATIONS = {
    r"\ie": "i.e.",
    r"\eg": "e.g.",
    r"\etc": "etc.",
    r"\etal": "et al.",
    r"\vs": "vs.",
    r"\wrt": "w.r.t.",
    r"\cf": "cf.",
}
_ABBREVIATION = re.compile(r"\\(ie|eg|etc|etal|vs|wrt|cf)\b\.?")
_ESCAPED = re.compile(r"\\([%&#_ ])")  # "\%" -> "%"; "i.e.\ " (a control space) -> "i.e. "
# Text-style commands whose argument is the text: \textbf{X} -> X (math is left alone).
_TEXT_COMMAND = re.compile(
    r"\\(?:textbf|textit|emph|texttt|textsc|textrm|textsf|underline|mbox|textup|textmd)\s*\{([^{}]*)\}"
)
_HREF = re.compile(r"\\href\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_URL_COMMAND = re.compile(r"\\url\s*\{([^{}]*)\}")
# A tilde is LaTeX's unbreakable space, except inside a URL (".../~user"): URLs match first.
_TILDE = re.compile(r"(https?://\S+)|~")

# LaTeX accent commands, decoded to combining characters and then composed (NFC).
_ACCENTS = {
    "'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304",
    ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327", "k": "\u0328",
    "r": "\u030a", "d": "\u0323", "b": "\u0331",
}  # fmt: skip
_SPECIAL_LETTERS = {
    "ss": "ß", "o": "ø", "O": "Ø", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ", "aa": "å",
    "AA": "Å", "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ", "dh": "ð", "DH": "Ð", "th": "þ", "TH": "Þ",
}  # fmt: skip
_ACCENT_COMMAND = re.compile(
    r"\{?\\(?P<accent>['`^\"~=.]|[uvHckrdb](?=[\s{]))\s*(?:\{\s*(?P<braced>\\?[A-Za-z])\s*\}|(?P<bare>\\?[A-Za-z]))\}?"
)
_SPECIAL_COMMAND = re.compile(
    r"\{?\\(?P<name>ss|o|O|ae|AE|oe|OE|aa|AA|l|L|i|j|dh|DH|th|TH)(?![A-Za-z])\s*\}?"
)
_BRACES = re.compile(r"(?<!\\)[{}]")


def collapse_whitespace(text: str) -> str:
    """Hard line breaks and runs of whitespace become single spaces; ends are trimmed."""
    return " ".join(text.split())  # str.split() knows Unicode spaces and beats a regex here


def _decode_accent(match: re.Match[str]) -> str:
    letter = match.group("braced") or match.group("bare") or ""
    letter = {"\\i": "i", "\\j": "j"}.get(letter, letter)
    return unicodedata.normalize("NFC", letter + _ACCENTS[match.group("accent")])


def decode_latex_accents(text: str) -> str:
    """`M{\\"u}ller` -> `Müller`, `{\\ss}` -> `ß`; everything else untouched."""
    if "\\" not in text:
        return text
    text = _ACCENT_COMMAND.sub(_decode_accent, text)
    return _SPECIAL_COMMAND.sub(lambda m: _SPECIAL_LETTERS[m.group("name")], text)


def strip_braces(text: str) -> str:
    """BibTeX's case-protecting braces (`{{BERT}}: ...`) removed; escaped braces kept."""
    return _BRACES.sub("", text)


def clean_text(text: str | None) -> str:
    """Display text of a title or abstract: whitespace collapsed, markup debris removed."""
    if not text:
        return ""
    text = collapse_whitespace(text)
    if "{" in text:
        text = _URL_PLACEHOLDER.sub("", text)
        text = _REPEATED_URL.sub(_keep_one_url, text)
    if "\\" in text or "~" in text:
        text = _HREF.sub(r"\2 (\1)", text)
        text = _URL_COMMAND.sub(r"\1", text)
        text = _ABBREVIATION.sub(lambda m: _ABBREVIATIONS["\\" + m.group(1)], text)
        for _ in range(3):  # nested \textbf{\emph{x}}
            text, count = _TEXT_COMMAND.subn(r"\1", text)
            if not count:
                break
        text = _ESCAPED.sub(r"\1", text)
        text = decode_latex_accents(text)
        text = _TILDE.sub(lambda m: m.group(1) or " ", text)
        text = collapse_whitespace(text)
    return unicodedata.normalize("NFC", text)


def _keep_one_url(match: re.Match[str]) -> str:
    first, second = match.group(1), match.group(2)
    return first if first.rstrip("/.") == second.rstrip("/.") else f"{first} {second}"


def clean_name(name: str) -> str:
    """An author's name: accents decoded, braces and extra spaces removed."""
    if "\\" not in name and "{" not in name and "}" not in name:
        return " ".join(name.split())
    return collapse_whitespace(strip_braces(decode_latex_accents(name)))


def split_authors(text: str) -> list[str]:
    """Split a free-text author list ("A, B, and C", "A and B") into names."""
    text = collapse_whitespace(text)
    if not text:
        return []
    parts = re.split(r",\s*(?:and\s+)?|\s+and\s+", text)
    return [clean_name(p) for p in parts if p.strip()]


def split_bibtex_authors(text: str) -> list[str]:
    """Split a BibTeX author field ("Hinton, Geoffrey and Yann LeCun") into "First Last" names."""
    parts = re.split(r"\s+and\s+", collapse_whitespace(text))
    return [name_first_last(clean_name(p)) for p in parts if p.strip() and p.strip() != "others"]


def name_first_last(name: str) -> str:
    """ "Hinton, Geoffrey E." -> "Geoffrey E. Hinton"; names without a comma are unchanged."""
    if name.count(",") == 1:
        last, first = (part.strip() for part in name.split(","))
        if first and last:
            return f"{first} {last}"
    return name


def parse_date(text: str | None) -> date | None:
    """ISO dates and datetimes ("2024-01-05", "2024-01-05T17:00:00Z") and RFC 1123 dates."""
    if not text:
        return None
    text = text.strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text).date()
    except (TypeError, ValueError, IndexError):
        pass
    for fmt in ("%Y/%m/%d", "%d %b %Y", "%b %d, %Y", "%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None
