"""Leaderboards: reported results grouped by canonical (dataset, metric) and ranked.

Results are stored as their text wrote them ("ImageNet-1K", "top-1 acc"); the alias table
(`papersift.extract.Aliases`) names them when a board is built, so a user who edits the table
sees every board regrouped at once, with nothing to re-import. Curated rows (the Papers with
Code archive) win over extracted ones for the same paper, dataset, metric and model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from papersift.errors import PaperNotFound
from papersift.extract.aliases import Aliases
from papersift.ids import title_key
from papersift.records import BoardEntry as BoardEntry
from papersift.records import BoardSummary as BoardSummary
from papersift.records import Leaderboard as Leaderboard
from papersift.records import Metric, Paper
from papersift.store import Store


@dataclass(frozen=True)
class Candidate:
    """A result before ranking: from the text of a paper in the library, or curated."""

    value: float
    model: str | None
    title: str
    paper: Paper | None
    paper_url: str | None
    published: date | None
    curated: bool
    evidence: str


def summarise(spellings: Iterable[tuple[str, str, int, int]], aliases: Aliases) -> list[BoardSummary]:
    """Boards from (dataset, metric, extracted rows, curated rows) as written, most results first."""
    counts: dict[tuple[str, str], list[int]] = {}
    for dataset, metric, extracted, curated in spellings:
        key = (aliases.dataset(dataset), aliases.metric(metric).name)
        total = counts.setdefault(key, [0, 0])
        total[0] += extracted + curated
        total[1] += curated
    boards = [BoardSummary(dataset, metric, n[0], n[1]) for (dataset, metric), n in counts.items()]
    return sorted(boards, key=lambda b: (-b.results, b.dataset.casefold(), b.metric.casefold()))


def matching(boards: list[BoardSummary], text: str) -> list[BoardSummary]:
    """The boards whose dataset or metric holds `text` (case ignored); all of them for no text."""
    wanted = text.strip().casefold()
    if not wanted:
        return boards
    return [b for b in boards if wanted in b.dataset.casefold() or wanted in b.metric.casefold()]


def spellings_of(
    spellings: Iterable[tuple[str, str, int, int]], aliases: Aliases, dataset: str, metric: str | None
) -> tuple[str, list[str], list[tuple[str, str]]]:
    """For a dataset (any spelling) and optionally a metric: the canonical dataset, its metrics by
    number of results, and the written (dataset, metric) pairs of the chosen board. Without a
    metric, the board with the most results is chosen."""
    wanted = aliases.dataset(dataset)
    by_metric: dict[str, list[tuple[str, str]]] = {}
    sizes: dict[str, int] = {}
    for written_dataset, written_metric, extracted, curated in spellings:
        if aliases.dataset(written_dataset) != wanted:
            continue
        name = aliases.metric(written_metric).name
        by_metric.setdefault(name, []).append((written_dataset, written_metric))
        sizes[name] = sizes.get(name, 0) + extracted + curated
    metrics = sorted(sizes, key=lambda name: (-sizes[name], name.casefold()))
    if not metrics:
        return wanted, [], []
    chosen = aliases.metric(metric).name if metric else metrics[0]
    return wanted, metrics, by_metric.get(chosen, [])


def rank(candidates: Iterable[Candidate], metric: Metric, limit: int) -> list[BoardEntry]:
    """Best value first (by the metric's direction); one row per paper and model, curated first."""
    best: dict[tuple[str, str], Candidate] = {}
    for candidate in candidates:
        key = (title_key(candidate.title), (candidate.model or "").casefold())
        held = best.get(key)
        if held is None or _better(candidate, held, metric):
            best[key] = candidate
    ordered = sorted(
        best.values(),
        key=lambda c: (-c.value if metric.higher_is_better else c.value, c.published or date.max, c.title),
    )
    entries = []
    for place, candidate in enumerate(ordered[:limit], start=1):
        paper = candidate.paper
        entries.append(
            BoardEntry(
                rank=place,
                value=candidate.value,
                model=candidate.model,
                title=candidate.title,
                paper=paper,
                paper_url=candidate.paper_url,
                published=candidate.published,
                code_url=paper.code[0] if paper is not None and paper.code else None,
                curated=candidate.curated,
                evidence=candidate.evidence,
            )
        )
    return entries


def _better(candidate: Candidate, held: Candidate, metric: Metric) -> bool:
    if candidate.curated != held.curated:
        return candidate.curated  # curated rows win, whatever their value
    if metric.higher_is_better:
        return candidate.value > held.value
    return candidate.value < held.value


# -- from the store ---------------------------------------------------------------------------


def summaries(store: Store, aliases: Aliases) -> list[BoardSummary]:
    """Every (dataset, metric) with results, by canonical name, most results first."""
    return summarise(store.result_spellings(), aliases)


def assemble(
    store: Store, aliases: Aliases, dataset: str, metric: str | None = None, *, limit: int = 100
) -> Leaderboard:
    """The ranked results on a dataset (any spelling the alias table knows) for a metric (by
    default the dataset's most reported one); raises `PaperNotFound` if nothing reports it."""
    name, metrics, pairs = spellings_of(store.result_spellings(), aliases, dataset, metric)
    if not pairs:
        known = f"; its metrics: {', '.join(metrics)}" if metrics else ""
        raise PaperNotFound(f"no results on {name}" + (f" for {metric}" if metric else "") + known)
    chosen = aliases.metric(pairs[0][1])
    extracted = store.extracted_results(pairs)
    curated = store.curated_results(pairs)
    papers = store.papers_by_pk(
        sorted({row.pk for row in extracted} | {row.pk for row in curated if row.pk is not None})
    )
    candidates = [
        Candidate(
            row.value,
            row.model,
            papers[row.pk].title,
            papers[row.pk],
            papers[row.pk].abs_url,
            papers[row.pk].published,
            False,
            row.evidence,
        )
        for row in extracted
    ]
    for pk, row in curated:
        paper = papers.get(pk) if pk is not None else None
        published = (
            paper.published if paper else (date.fromisoformat(row.published) if row.published else None)
        )
        candidates.append(
            Candidate(
                row.value,
                row.model or None,
                paper.title if paper else row.paper_title,
                paper,
                row.paper_url,
                published,
                True,
                row.value_text,
            )
        )
    entries = rank(candidates, chosen, limit)
    return Leaderboard(name, chosen, entries, [m for m in metrics if m != chosen.name])


class Leaderboards:
    """The leaderboards of one library's store, named by its alias table (loaded on first use)."""

    def __init__(self, store: Store, aliases: Callable[[], Aliases]) -> None:
        self.store = store
        self._aliases = aliases

    def leaderboards(self) -> list[BoardSummary]:
        """Every (dataset, metric) with results, by canonical name, most results first."""
        return summaries(self.store, self._aliases())

    def find_leaderboards(self, text: str) -> list[BoardSummary]:
        """The boards whose dataset or metric holds `text` (all of them for no text)."""
        return matching(self.leaderboards(), text)

    def leaderboard(self, dataset: str, metric: str | None = None, *, limit: int = 100) -> Leaderboard:
        """The ranked results on a dataset (any spelling) for a metric (default: its most reported);
        `PaperNotFound` if nothing reports it."""
        return assemble(self.store, self._aliases(), dataset, metric, limit=limit)
