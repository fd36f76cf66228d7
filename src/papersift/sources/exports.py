"""Writers of papersift's export formats: JSON Lines and BibTeX, both read back by `ingest`.

Pure functions from papers to text. JSON Lines carries every field; BibTeX carries what BibTeX
can (title, authors, abstract, date, DOI, arXiv id and class, journal, keywords).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from datetime import date
from typing import Any

from papersift.records import Paper

FORMATS = ("jsonl", "bibtex")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MATH = re.compile(r"(\$\$?[^$]*\$\$?)")
_BIBTEX_SPECIAL = re.compile(r"[\\{}~%&#_]")
# Literal braces as commands: BibTeX counts even escaped braces, so "\}" could end a field.
_ESCAPE = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "~": r"\textasciitilde{}",
}


def paper_to_json(paper: Paper) -> dict[str, Any]:
    """A paper as a JSON-ready dict (dates ISO, tuples as lists, empty fields dropped)."""
    data = asdict(paper)
    result: dict[str, Any] = {}
    for key, value in data.items():
        if value in (None, "", (), []):
            continue
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        result[key] = value
    return result


def jsonl_lines(papers: Iterable[Paper]) -> Iterator[str]:
    for paper in papers:
        yield json.dumps(paper_to_json(paper), ensure_ascii=False) + "\n"


def _bibtex_value(text: str) -> str:
    """Text as a BibTeX field value that papersift's reader turns back into the same text.

    Outside math, LaTeX's special characters are escaped; math (`$...$`) is kept as written.
    Braces left unbalanced are dropped, since they would end the field early.
    """
    parts = _MATH.split(text)
    text = "".join(
        part if i % 2 else _BIBTEX_SPECIAL.sub(lambda m: _ESCAPE.get(m.group(), "\\" + m.group()), part)
        for i, part in enumerate(parts)
    )
    depth = 0
    kept = []
    for char in text:
        if char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                continue
            depth -= 1
        kept.append(char)
    value = "".join(kept)
    return value + "}" * depth


def _bibtex_key(paper: Paper) -> str:
    return re.sub(r"[^A-Za-z0-9:._-]", "_", paper.id)


def bibtex_entries(papers: Iterable[Paper]) -> Iterator[str]:
    for paper in papers:
        fields: list[tuple[str, str]] = [("title", "{" + _bibtex_value(paper.title) + "}")]
        if paper.authors:
            fields.append(("author", " and ".join(_bibtex_value(name) for name in paper.authors)))
        if paper.published:
            fields.append(("year", str(paper.published.year)))
            fields.append(("month", _MONTHS[paper.published.month - 1]))
            fields.append(("date", paper.published.isoformat()))
        if paper.arxiv_id:
            fields += [("eprint", paper.arxiv_id), ("archiveprefix", "arXiv")]
            if paper.primary_category:
                fields.append(("primaryclass", paper.primary_category))
        if paper.doi:
            fields.append(("doi", paper.doi))
        if paper.journal_ref:
            fields.append(("journal", _bibtex_value(paper.journal_ref)))
        if paper.abs_url:
            fields.append(("url", paper.abs_url))
        if paper.keywords:
            fields.append(("keywords", _bibtex_value(", ".join(paper.keywords))))
        if paper.abstract:
            fields.append(("abstract", _bibtex_value(paper.abstract)))
        entry_type = "article" if paper.journal_ref else "misc"
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
        yield f"@{entry_type}{{{_bibtex_key(paper)},\n{body}\n}}\n\n"


def export_lines(papers: Iterable[Paper], format_name: str) -> Iterator[str]:
    if format_name == "jsonl":
        return jsonl_lines(papers)
    if format_name == "bibtex":
        return bibtex_entries(papers)
    raise ValueError(f"unknown export format {format_name!r}; known: {', '.join(FORMATS)}")
