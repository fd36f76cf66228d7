"""Readers of foreign formats: the only place papersift parses what other systems write.

Each module holds one format and offers `read(stream, origin) -> Iterator[Paper | BadRecord]`
over a binary stream; `origin` names the input in messages ("refs.bib", "<stdin>"), so a
rejected record reads "refs.bib: entry 3 (key smith20): missing title". Readers never raise for
one bad record: they yield a `BadRecord` and go on. A reader raises `UnreadableInput` only when
the whole input cannot be read (malformed XML, truncated gzip, binary data); records it already
yielded stay valid.

`sniff(head)` picks the reader from the first bytes of the content, so a `.txt` holding JSON
Lines or a `.xml` file without extension is read right; `open_input` undoes gzip transparently.
"""

from __future__ import annotations

import gzip
import io
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from papersift.errors import UnreadableInput
from papersift.records import BadRecord, Paper

Reader = Callable[[BinaryIO, str], Iterator[Paper | BadRecord]]
_GZIP_MAGIC = b"\x1f\x8b"
SNIFF_BYTES = 65536


def reader_for(format_name: str) -> Reader:
    """The `read` function of a format, by name (see `FORMATS`)."""
    # Imported lazily: `papersift search` should not pay for the XML or BibTeX parsers.
    if format_name == "arxiv-atom":
        from papersift.sources.arxiv_atom import read
    elif format_name == "oai-pmh":
        from papersift.sources.oai_pmh import read
    elif format_name == "jsonl":
        from papersift.sources.jsonl import read
    elif format_name == "bibtex":
        from papersift.sources.bibtex import read
    elif format_name == "page-export":
        from papersift.sources.page_export import read
    else:
        raise ValueError(f"unknown format {format_name!r}; known: {', '.join(FORMATS)}")
    return read


FORMATS = ("arxiv-atom", "oai-pmh", "jsonl", "bibtex", "page-export")


def sniff(head: bytes) -> str:
    """Name the format of a content from its first bytes; raise `UnreadableInput` if none fits."""
    sample = head[:4096]
    if b"\x00" in sample or _control_share(sample) > 0.05:
        raise UnreadableInput("binary data, not a paper export")
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if text.startswith("<"):
        if "<OAI-PMH" in text or "openarchives.org/OAI" in text:
            return "oai-pmh"
        if "<feed" in text or "www.w3.org/2005/Atom" in text:
            return "arxiv-atom"
        raise UnreadableInput("XML, but neither an arXiv API Atom feed nor an OAI-PMH response")
    if text.startswith("{") or text.startswith("["):
        return "jsonl"
    if text.startswith("@") or _looks_like_bibtex(text):
        return "bibtex"
    if text:
        return "page-export"
    raise UnreadableInput("empty input")


def _control_share(sample: bytes) -> float:
    """The share of bytes that no text file holds (control characters other than whitespace)."""
    if not sample:
        return 0.0
    controls = sum(1 for byte in sample if (byte < 32 and byte not in (9, 10, 12, 13)) or byte == 127)
    return controls / len(sample)


def _looks_like_bibtex(text: str) -> bool:
    # BibTeX files may open with comments or free text before the first entry.
    for line in text.splitlines()[:50]:
        stripped = line.strip().lower()
        if stripped.startswith(
            (
                "@article",
                "@inproceedings",
                "@misc",
                "@string",
                "@book",
                "@phdthesis",
                "@techreport",
                "@incollection",
                "@preamble",
                "@comment",
                "@online",
            )
        ):
            return True
    return False


def open_input(path: str | Path) -> BinaryIO:
    """A binary stream of a file's content ("-" is stdin), gzip undone whatever the name."""
    raw: BinaryIO = sys.stdin.buffer if str(path) == "-" else open(path, "rb")  # noqa: SIM115 - caller closes
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw, SNIFF_BYTES)  # type: ignore[type-var]
    if buffered.peek(2)[:2] == _GZIP_MAGIC:
        return gzip.GzipFile(fileobj=buffered, mode="rb")  # type: ignore[return-value]
    return buffered


def read_stream(stream: BinaryIO, origin: str, format_name: str | None = None) -> Iterator[Paper | BadRecord]:
    """Papers and rejected records from one input, its format sniffed unless given.

    Read errors of the whole input (truncated gzip, malformed XML) become `UnreadableInput`
    naming the origin.
    """
    buffered = stream if isinstance(stream, io.BufferedReader) else io.BufferedReader(stream, SNIFF_BYTES)  # type: ignore[type-var]
    try:
        head = buffered.peek(SNIFF_BYTES)[:SNIFF_BYTES]
        name = format_name or sniff(head)
        yield from reader_for(name)(buffered, origin)
    except UnreadableInput as error:
        raise UnreadableInput(f"{origin}: {error.reason}") from None
    except (EOFError, gzip.BadGzipFile, OSError) as error:
        raise UnreadableInput(f"{origin}: cannot read the input ({_describe(error)})") from None


def _describe(error: BaseException) -> str:
    if isinstance(error, EOFError):
        return "the compressed file is truncated"
    return str(error) or type(error).__name__
