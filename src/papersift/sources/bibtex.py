"""Read BibTeX (reference managers, Google Scholar, DBLP, arXiv's own export) into papers.

bibtexparser 2.x splits the file into blocks; everything after that is done here, because its
middlewares do not fit: LaTeX decoding through pylatexenc is far too slow on abstracts, and string
resolution neither ignores case (`@string{ACL=...}` used as `acl`) nor follows `#`
concatenation. So the parser runs with an empty middleware stack and this module resolves macros,
removes the enclosing braces or quotes, decodes accents with `papersift.text` and strips the
case-protecting braces outside `$math$`.

Identity never comes from the citation key (`smith2020` collides across files): the id is the
arXiv id (from `eprint`, `arxiv`, `arxivid`, an arXiv `url` or Google Scholar's
`journal = {arXiv preprint arXiv:...}`), else the DOI, else the title hash.

Encoding: the file is read as UTF-8. Bytes that are not UTF-8 (typically a Latin-1 `.bib`)
reject only the entries whose fields hold them, with a reason naming the field and the byte, so
the rest of the file is still imported and nothing is stored with a replacement character.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import date
from typing import BinaryIO

from bibtexparser.entrypoint import parse_string
from bibtexparser.exceptions import BlockAbortedException
from bibtexparser.model import DuplicateBlockKeyBlock, Entry, ParsingFailedBlock, String

from papersift import text
from papersift.errors import UnreadableInput
from papersift.ids import parse_arxiv_id
from papersift.records import BadRecord, Paper
from papersift.sources.common import make_paper

# The splitter logs every broken block; we report it as a BadRecord, so its log would be noise.
logging.getLogger("bibtexparser").addHandler(logging.NullHandler())

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")  # fmt: skip
# BibTeX predefines the month macros; other styles' macros (journal abbreviations) are not known.
_PREDEFINED_MACROS = dict(zip(_MONTHS, _MONTH_NAMES, strict=True))
_MATH = re.compile(r"(\$\$?[^$]*\$\$?)")
# Outside math, after `text.clean_text`: citations mean nothing without the .bib they point into,
# other commands keep their argument (`\foo{bar}` -> `bar`, not `\foobar`), `\ ` is a space.
_CITATION = re.compile(r"[\s~]*\\(?:cite[a-z]*|ref|eqref|autoref|label)\*?\s*(?:\[[^\]]*\])*\{[^{}]*\}")
_COMMAND_WITH_ARGUMENT = re.compile(r"\\[A-Za-z]+\*?\s*\{([^{}]*)\}")
_CONTROL_SPACE = re.compile(r"\\ ")
_NOT_UTF8 = re.compile(r"[\udc80-\udcff]")
_KEYWORD_SEPARATOR = re.compile(r"\s*[;,]\s*")
_YEAR = re.compile(r"\d{4}")
_ISO_PARTIAL_DATE = re.compile(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?")
_ARXIV_IN_TEXT = re.compile(r"arxiv[:\s/]*(\d{4}\.\d{4,5}(?:v\d+)?|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})", re.I)
_ARXIV_ONLY_VENUE = re.compile(r"^\s*(?:arxiv|corr)\b", re.I)


def read(stream: BinaryIO, origin: str) -> Iterator[Paper | BadRecord]:
    """Papers from a BibTeX file; `@string` macros expanded, `@comment`/`@preamble` ignored."""
    content = stream.read()
    decoded = content.decode("utf-8", errors="surrogateescape").lstrip("\ufeff")
    has_bad_bytes = _NOT_UTF8.search(decoded) is not None
    try:
        library = parse_string(decoded, parse_stack=[])
    except Exception as error:  # the parser raises only on its own bugs, never for bad input
        raise UnreadableInput(f"the BibTeX parser failed ({type(error).__name__}: {error})") from None
    macros = dict(_PREDEFINED_MACROS)
    number = 0
    for block in library.blocks:
        if isinstance(block, String):
            macros[block.key.lower()] = _resolve(block.value, macros)
            continue
        if isinstance(block, DuplicateBlockKeyBlock) and isinstance(block.ignore_error_block, Entry):
            block = block.ignore_error_block  # keys mean nothing to papersift; the entry is good
        if isinstance(block, ParsingFailedBlock):
            number += 1
            yield BadRecord(f"{origin}: entry {number} (line {(block.start_line or 0) + 1})", _failure(block))
        elif isinstance(block, Entry):
            number += 1
            yield _paper(block, f"{origin}: entry {number} (key {block.key})", macros, has_bad_bytes)


def _failure(block: ParsingFailedBlock) -> str:
    error = block.error
    reason = error.abort_reason if isinstance(error, BlockAbortedException) else str(error)
    return f"not valid BibTeX ({text.collapse_whitespace(reason)})"


def _paper(entry: Entry, place: str, macros: dict[str, str], has_bad_bytes: bool) -> Paper | BadRecord:
    fields = {field.key.lower(): _resolve(field.value, macros) for field in entry.fields}
    if has_bad_bytes:
        for key, value in fields.items():
            bad = _NOT_UTF8.search(value)
            if bad:
                byte = ord(bad.group()) - 0xDC00
                return BadRecord(
                    place, f"field {key!r} is not valid UTF-8 (byte 0x{byte:02x}); is the file Latin-1?"
                )
    get = fields.get
    arxiv_id = _arxiv_id(fields)
    venue = get("journal") or get("booktitle") or get("journaltitle")
    if venue and arxiv_id and _ARXIV_ONLY_VENUE.match(venue):
        venue = None  # "arXiv preprint arXiv:1810.04805" names no journal
    url = get("url")
    primary_class = get("primaryclass")
    return make_paper(
        place,
        source="bibtex",
        title=_latex(get("title")),
        abstract=_latex(get("abstract")),
        authors=text.split_bibtex_authors(get("author") or ""),
        categories=[primary_class.strip()] if primary_class else [],
        published=_published(fields),
        arxiv_id=arxiv_id,
        doi=get("doi"),
        abs_url=url if url and not parse_arxiv_id(url) else None,
        journal_ref=_latex(venue),
        keywords=_KEYWORD_SEPARATOR.split(_latex(get("keywords")) or ""),
    )


def _resolve(value: object, macros: dict[str, str]) -> str:
    """A raw field value with its enclosing `{}`/`""` removed, macros expanded, `#` joined."""
    raw = str(value).strip()
    if "#" not in raw:
        return _resolve_part(raw, macros)
    return "".join(_resolve_part(part, macros) for part in _concatenated_parts(raw))


def _resolve_part(part: str, macros: dict[str, str]) -> str:
    if (part[:1] == "{" and part[-1:] == "}") or (part[:1] == '"' and part[-1:] == '"'):
        return part[1:-1]
    # A bare word is a macro (an undefined one stays as written, as BibTeX warns and goes on).
    return macros.get(part.lower(), part)


def _concatenated_parts(raw: str) -> list[str]:
    """`acl # " 2020"` -> [`acl`, `" 2020"`]: split at `#` outside braces and quotes."""
    parts, depth, quoted, start = [], 0, False, 0
    for index, char in enumerate(raw):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == '"' and depth == 0:
            quoted = not quoted
        elif char == "#" and depth == 0 and not quoted:
            parts.append(raw[start:index].strip())
            start = index + 1
    parts.append(raw[start:].strip())
    return parts


def _latex(value: str | None) -> str | None:
    """Display text of a BibTeX field: markup removed, braces stripped except inside math."""
    if not value or ("{" not in value and "\\" not in value):
        return value
    cleaned = text.clean_text(value)
    if "$" not in cleaned:
        return _plain(cleaned)
    segments = _MATH.split(cleaned)
    return "".join(s if i % 2 else _plain(s) for i, s in enumerate(segments))


# Literal characters written escaped (as papersift's export writes them), protected from the
# markup removal below by private-use placeholders, and restored last.
_LITERALS = {
    "\\textbackslash{}": "\\",
    "\\textasciitilde{}": "~",
    "\\textbraceleft{}": "{",
    "\\textbraceright{}": "}",
    "\\{": "{",
    "\\}": "}",
}
_LITERAL = re.compile("|".join(re.escape(escaped) for escaped in _LITERALS))
_PLACEHOLDER_OF = {escaped: chr(0xE000 + i) for i, escaped in enumerate(_LITERALS)}
_RESTORE = {ord(placeholder): _LITERALS[escaped] for escaped, placeholder in _PLACEHOLDER_OF.items()}


def _plain(segment: str) -> str:
    if "\\" in segment:
        segment = _LITERAL.sub(lambda m: _PLACEHOLDER_OF[m.group()], segment)
        segment = _CITATION.sub("", segment)
        segment = _COMMAND_WITH_ARGUMENT.sub(r"\1", segment)
        segment = _CONTROL_SPACE.sub(" ", segment)
    return text.strip_braces(segment).translate(_RESTORE)


def _arxiv_id(fields: dict[str, str]) -> str | None:
    prefix = fields.get("archiveprefix") or fields.get("eprinttype")
    candidates = [fields.get("arxiv"), fields.get("arxivid")]
    if not prefix or prefix.strip().lower() == "arxiv":
        candidates.insert(0, fields.get("eprint"))
    candidates.append(fields.get("url"))
    for candidate in candidates:
        parsed = parse_arxiv_id(candidate)
        if parsed:
            return f"{parsed[0]}v{parsed[1]}" if parsed[1] else parsed[0]
    for venue in (fields.get("journal"), fields.get("note"), fields.get("howpublished")):
        found = _ARXIV_IN_TEXT.search(venue or "")
        if found:
            return found.group(1)
    return None


def _published(fields: dict[str, str]) -> date | None:
    """From `date` (ISO, possibly partial), else `year` and `month`: the first day of what is known."""
    iso = _ISO_PARTIAL_DATE.fullmatch((fields.get("date") or "").strip())
    if iso:
        year, month, day = (int(g) if g else 1 for g in iso.groups())
        return _date(year, month, day)
    year_match = _YEAR.search(fields.get("year") or "")
    if not year_match:
        return None
    return _date(int(year_match.group()), _month(fields.get("month")), 1)


def _month(value: str | None) -> int:
    if not value:
        return 1
    value = value.strip().lower()
    if value.isdigit():
        return int(value)
    return _MONTHS.index(value[:3]) + 1 if value[:3] in _MONTHS else 1


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
