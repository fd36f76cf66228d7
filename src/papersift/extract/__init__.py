"""Code links and reported results found in a paper's own text: pure functions over strings.

`extract` is what ingest calls: code links from the abstract and comment, and results from the
abstract with their dataset and metric names made canonical by the alias table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from papersift.extract.aliases import DEFAULT_ALIASES, Aliases, Metric, configured_aliases, default_aliases
from papersift.extract.code_links import CodeLinks, find_code_links
from papersift.extract.results import find_results
from papersift.records import ReportedResult

__all__ = [
    "DEFAULT_ALIASES",
    "Aliases",
    "CodeLinks",
    "Extraction",
    "Metric",
    "ReportedResult",
    "canonical_results",
    "configured_aliases",
    "extract",
    "extraction_json",
    "find_code_links",
    "find_results",
]


@dataclass(frozen=True, slots=True)
class Extraction:
    """What one paper's text says about its code and results (results canonical)."""

    code: CodeLinks
    results: tuple[ReportedResult, ...]


def canonical_results(results: tuple[ReportedResult, ...], aliases: Aliases) -> tuple[ReportedResult, ...]:
    """Results with dataset and metric replaced by their canonical names (duplicates dropped)."""
    seen: dict[ReportedResult, None] = {}
    for result in results:
        canonical = ReportedResult(
            dataset=aliases.dataset(result.dataset),
            metric=aliases.metric(result.metric).name,
            value=result.value,
            text=result.text,
            model=result.model,
        )
        seen.setdefault(canonical)
    return tuple(seen)


def extract(
    title: str, abstract: str, comment: str | None = None, aliases: Aliases | None = None
) -> Extraction:
    """Code links from the abstract and comment, canonical results from the abstract.

    Pass the abstract as the source gave it (arXiv's hard line breaks let a URL broken across
    lines be joined again). The title is accepted for callers' symmetry; titles report no
    results worth keeping ("80%+ Top-1 Accuracy" is a bound) and carry no links.
    """
    del title
    table = aliases if aliases is not None else default_aliases()
    code = find_code_links(abstract, comment)
    results = canonical_results(find_results(abstract, table), table)
    return Extraction(code, results)


def extraction_json(key: str, extraction: Extraction) -> dict[str, Any]:
    """The `papersift extract` line for one paper."""
    results: list[dict[str, Any]] = []
    for result in extraction.results:
        row: dict[str, Any] = {
            "dataset": result.dataset,
            "metric": result.metric,
            "value": result.value,
            "text": result.text,
        }
        if result.model is not None:
            row["model"] = result.model
        results.append(row)
    return {
        "key": key,
        "code_urls": list(extraction.code.code_urls),
        "project_urls": list(extraction.code.project_urls),
        "code_promised": extraction.code.promised,
        "results": results,
    }
