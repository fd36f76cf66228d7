"""Canonical names for datasets and metrics, read from an editable TOML alias table.

Abstracts write one benchmark many ways ("ImageNet", "ImageNet-1K", "ILSVRC-2012"); results are
compared and grouped by the canonical name. The table ships as `papersift/data/aliases.toml`
(its header documents the format); users layer their own files over it with `Aliases.load`.
Loading the TOML is the only I/O in `papersift.extract`.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from papersift.errors import PapersiftError
from papersift.records import Metric as Metric

DEFAULT_ALIASES: Path = Path(str(files("papersift").joinpath("data", "aliases.toml")))

_NON_ALNUM = re.compile(r"[\W_]+")
_LATEX_COMMAND = re.compile(r"\\[A-Za-z]+\s*\{([^{}]*)\}")  # \textbf{X} -> X
# Splits written after a dataset ("COCO test-dev"): kept in the canonical name, in this spelling.
_SPLITS = {
    "testdev": "test-dev",
    "teststd": "test-std",
    "testchallenge": "test-challenge",
    "val": "val",
    "validation": "val",
    "valset": "val",
    "validationset": "val",
    "val2017": "val",
    "minival": "minival",
    "test": "test",
    "testset": "test",
    "dev": "dev",
    "devset": "dev",
    "testclean": "test-clean",
    "testother": "test-other",
    "devclean": "dev-clean",
    "devother": "dev-other",
}
# Words that name the kind of thing rather than the thing: "the ADE20K dataset" is ADE20K.
_FILLER_SUFFIX = re.compile(
    r"(?:\s+(?:data\s*set|dataset|datasets|benchmarks?|corpus|tasks?|leaderboard|challenge|suite|"
    r"semantic\s+segmentation|object\s+detection|instance\s+segmentation|image\s+classification|"
    r"classification|detection|segmentation|zero-shot|linear\s+probing|fine-tuning|set|split))+$",
    re.IGNORECASE,
)
_FILLER_PREFIX = re.compile(r"^(?:the|a|an|our|standard|popular|challenging|large-scale)\s+", re.IGNORECASE)
# A resolution is a setting, not a dataset: "ImageNet 224 x 224", "ImageNet (256x256)".
_RESOLUTION = re.compile(r"\s*\(?\b\d{2,4}\s*(?:x|×|\\times|times|\*)\s*\d{2,4}\b\)?(?:\s*resolution)?", re.I)
_TRAILING_PUNCTUATION = re.compile(r"^[\s,.;:()\[\]{}'\"`]+|[\s,.;:()\[\]{}'\"`]+$")

# Direction of metrics the table does not list: these words mean lower is better.
_LOWER_IS_BETTER = re.compile(
    r"error|\berr\b|loss|\bfid\b|\bfvd\b|\bkid\b|perplexit|\bppl\b|\bwer\b|\bcer\b|\beer\b|\bter\b|"
    r"latenc|\bmae\b|\bmse\b|\brmse\b|distance|\bbpc\b|\bbpb\b|\blpips\b|regret|\bnll\b|"
    r"time|runtime|memory|miss rate|false positive|\bfpr\b|\bece\b|calibration error|divergence",
    re.IGNORECASE,
)
_PERCENT_LIKE = re.compile(r"acc|error|rate|precision|recall|\bf1\b|iou|dice|\bwer\b|\bcer\b|pass@", re.I)


# Words that may precede a metric without changing what it measures ("zero-shot" and "few-shot"
# do change it, so they stay).
_METRIC_QUALIFIERS = frozenset(
    {
        "impressive", "state-of-the-art", "sota", "new", "best", "strong", "competitive", "remarkable",
        "excellent", "superior", "leading", "record", "overall", "final", "reported", "classification",
        "image", "object", "semantic", "segmentation", "recognition", "validation", "val",
        "test", "benchmark",
    }
)  # fmt: skip


def alias_key(written: str) -> str:
    """The matching key of a name: case and punctuation ignored ("Top1-acc" == "top-1 ACC")."""
    return _NON_ALNUM.sub("", written.casefold())


def tidy_name(written: str) -> str:
    """A written name made presentable: markup, extra spaces and edge punctuation removed."""
    text = (
        _LATEX_COMMAND.sub(r"\1", written)
        .replace("\\", "")
        .replace("{", "")
        .replace("}", "")
        .replace("~", " ")
    )
    text = " ".join(text.split())
    return _TRAILING_PUNCTUATION.sub("", text)


def guess_higher_is_better(name: str) -> bool:
    return _LOWER_IS_BETTER.search(name) is None


class Aliases:
    """The effective alias table: the shipped default with the user's files layered over it."""

    __slots__ = ("_dataset_names", "_datasets", "_metric_names", "_metrics")

    def __init__(
        self, datasets: dict[str, list[str]], metrics: dict[str, Metric], metric_aliases: dict[str, list[str]]
    ):
        # canonical name -> spellings, in table order; the key maps are derived from these.
        self._dataset_names = {name: list(spellings) for name, spellings in datasets.items()}
        self._metric_names = {name: list(metric_aliases.get(name, [])) for name in metrics}
        self._datasets: dict[str, str] = {}
        for name, spellings in self._dataset_names.items():
            for spelling in [*spellings, name]:
                self._datasets[alias_key(spelling)] = name
        self._metrics: dict[str, Metric] = {}
        for name, metric in metrics.items():
            for spelling in [*self._metric_names[name], name]:
                self._metrics[alias_key(spelling)] = metric

    @classmethod
    def load(cls, *paths: Path) -> Aliases:
        """The shipped default, then each TOML file in order, later entries overriding earlier."""
        datasets: dict[str, list[str]] = {}
        metrics: dict[str, Metric] = {}
        metric_aliases: dict[str, list[str]] = {}
        for path in (DEFAULT_ALIASES, *paths):
            with open(path, "rb") as stream:
                try:
                    table = tomllib.load(stream)
                except tomllib.TOMLDecodeError as error:
                    raise ValueError(f"{path}: not a valid alias table: {error}") from None
            _merge(path, table, datasets, metrics, metric_aliases)
        return cls(datasets, metrics, metric_aliases)

    def dataset(self, written: str) -> str:
        """The canonical dataset name; an unknown name comes back tidied."""
        name = tidy_name(written)
        known = self._datasets.get(alias_key(name))
        if known is not None:
            return known
        name = _strip_fillers(name)
        known = self._datasets.get(alias_key(name))
        if known is not None:
            return known
        # "COCO test-dev", "LibriSpeech test-other": a known dataset and a split.
        words = name.rsplit(None, 2)
        for take in (1, 2):
            if len(words) > take:
                split = _SPLITS.get(alias_key(" ".join(words[-take:])))
                if split is not None:
                    base = " ".join(name.split()[:-take])
                    base_known = self._datasets.get(alias_key(base)) or self._datasets.get(
                        alias_key(_strip_fillers(base))
                    )
                    if base_known is not None:
                        combined = self._datasets.get(alias_key(f"{base_known} {split}"))
                        return combined or f"{base_known} {split}"
        return name

    def is_known_dataset(self, written: str) -> bool:
        return alias_key(written) in self._datasets

    def metric(self, written: str) -> Metric:
        """The canonical metric; an unknown one keeps its tidied name, unit and direction guessed."""
        name = tidy_name(written)
        percent = name.endswith("%")
        name = name.rstrip("% ").strip()
        known = self._metrics.get(alias_key(name))
        if known is not None:
            return known
        # "ImageNet top-1 accuracy", "state-of-the-art top-1 error", "semantic segmentation mIoU":
        # a dataset, praise or the task before a metric does not make another metric.
        words = name.split()
        while len(words) > 1 and (
            words[0].casefold() in _METRIC_QUALIFIERS or alias_key(words[0]) in self._datasets
        ):
            words = words[1:]
            known = self._metrics.get(alias_key(" ".join(words)))
            if known is not None:
                return known
        name = " ".join(words)
        unit = "%" if percent or _PERCENT_LIKE.search(name) else None
        return Metric(name, unit, guess_higher_is_better(name))

    def digest(self) -> str:
        """A stable hash of the effective table: stored results are re-canonicalised when it changes."""
        table = {
            "datasets": {
                name: sorted(set(spellings)) for name, spellings in sorted(self._dataset_names.items())
            },
            "dataset_keys": sorted(self._datasets.items()),
            "metric_keys": sorted(
                (key, metric.name, metric.unit, metric.higher_is_better)
                for key, metric in self._metrics.items()
            ),
        }
        encoded = json.dumps(table, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(encoded).hexdigest()[:16]


def _strip_fillers(name: str) -> str:
    stripped = _RESOLUTION.sub("", name)
    stripped = _FILLER_PREFIX.sub("", stripped)
    stripped = _FILLER_SUFFIX.sub("", stripped)
    stripped = _TRAILING_PUNCTUATION.sub("", stripped)
    return stripped or name


def _merge(
    path: Path,
    table: dict[str, Any],
    datasets: dict[str, list[str]],
    metrics: dict[str, Metric],
    metric_aliases: dict[str, list[str]],
) -> None:
    unknown = set(table) - {"datasets", "metrics"}
    if unknown:
        raise ValueError(
            f"{path}: unknown section(s) {', '.join(sorted(unknown))}; expected datasets, metrics"
        )
    for name, spellings in table.get("datasets", {}).items():
        if not isinstance(spellings, list) or not all(isinstance(s, str) for s in spellings):
            raise ValueError(f"{path}: datasets.{name!r} must be a list of strings")
        _move_spellings(datasets, name, spellings)
        datasets.setdefault(name, [])
        datasets[name] = _unique([*datasets[name], *spellings])
    for name, entry in table.get("metrics", {}).items():
        if not isinstance(entry, dict):
            raise ValueError(f"{path}: metrics.{name!r} must be a table (aliases, unit, higher_is_better)")
        spellings = entry.get("aliases", [])
        if not isinstance(spellings, list) or not all(isinstance(s, str) for s in spellings):
            raise ValueError(f"{path}: metrics.{name!r}.aliases must be a list of strings")
        unit = entry.get("unit", metrics[name].unit if name in metrics else None)
        if unit is not None and not isinstance(unit, str):
            raise ValueError(f"{path}: metrics.{name!r}.unit must be a string")
        higher = entry.get(
            "higher_is_better",
            metrics[name].higher_is_better if name in metrics else guess_higher_is_better(name),
        )
        if not isinstance(higher, bool):
            raise ValueError(f"{path}: metrics.{name!r}.higher_is_better must be true or false")
        _move_spellings(metric_aliases, name, spellings)
        metrics[name] = Metric(name, unit, higher)
        metric_aliases[name] = _unique([*metric_aliases.get(name, []), *spellings])


def _move_spellings(entries: dict[str, list[str]], name: str, spellings: list[str]) -> None:
    """A spelling listed under a new canonical name leaves the entry that held it before."""
    keys = {alias_key(s) for s in [*spellings, name]}
    for other, others in entries.items():
        if other != name:
            entries[other] = [s for s in others if alias_key(s) not in keys]


def _unique(spellings: list[str]) -> list[str]:
    seen: set[str] = set()
    kept = []
    for spelling in spellings:
        if spelling not in seen:
            seen.add(spelling)
            kept.append(spelling)
    return kept


@cache
def default_aliases() -> Aliases:
    """The shipped table, read once per process."""
    return Aliases.load()


def configured_aliases(chosen: str, config_file: Path) -> Aliases:
    """The shipped alias table, extended by the user's file: `chosen` (the `aliases` setting), else
    aliases.toml beside the configuration file when there is one."""
    if chosen:
        path = Path(chosen).expanduser()
        if not path.is_file():
            raise PapersiftError(f"{path}: no such alias file (the aliases setting names it)")
        return Aliases.load(path)
    beside = config_file.with_name("aliases.toml")
    return Aliases.load(beside) if beside.is_file() else Aliases.load()
