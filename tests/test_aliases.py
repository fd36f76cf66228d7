"""The alias table: one canonical name per dataset and metric, editable by the user."""

from __future__ import annotations

from pathlib import Path

import pytest

from papersift.extract import DEFAULT_ALIASES, Aliases, CodeLinks, Extraction, Metric, extraction_json
from papersift.records import ReportedResult

ALIASES = Aliases.load()


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("ImageNet", "ImageNet-1k"),
        ("ImageNet-1K", "ImageNet-1k"),
        ("imagenet 1k", "ImageNet-1k"),
        ("ILSVRC-2012", "ImageNet-1k"),
        ("ImageNet 224 x 224", "ImageNet-1k"),  # a resolution is a setting
        ("the ImageNet dataset", "ImageNet-1k"),
        ("ImageNet-21K", "ImageNet-22k"),
        ("CIFAR10", "CIFAR-10"),
        ("CoCo", "COCO"),
        ("MS COCO", "COCO"),
        ("COCO test-dev", "COCO test-dev"),  # splits stay part of the name
        ("MS-COCO val", "COCO val"),
        ("COCO validation set", "COCO val"),
        ("ADE-20K", "ADE20K"),
        ("K400", "Kinetics-400"),
        ("SSv2", "Something-Something V2"),
        ("WMT14 English-German", "WMT14 En-De"),
        ("SQuAD v1.1", "SQuAD 1.1"),
        ("Librispeech test clean", "LibriSpeech test-clean"),
        ("GSM-8K", "GSM8K"),
        ("the Widget Arena benchmark", "Widget Arena"),  # unknown: tidied, kept
        ("  \\textbf{Foo}-Bench ", "Foo-Bench"),
    ],
)
def test_dataset(written: str, canonical: str) -> None:
    assert ALIASES.dataset(written) == canonical


@pytest.mark.parametrize(
    ("written", "metric"),
    [
        ("top-1 acc", Metric("Top-1 Accuracy", "%", True)),
        # A dataset, praise or the task before a metric is not another metric; zero-shot is.
        ("ImageNet-1K top-1 accuracy", Metric("Top-1 Accuracy", "%", True)),
        ("state-of-the-art top-1 error", Metric("Top-1 Error", "%", False)),
        ("semantic segmentation mIoU", Metric("mIoU", "%", True)),
        ("mAP bbAP", Metric("Box AP", "", True)),
        ("impressive zero-shot top-1 accuracy", Metric("zero-shot top-1 accuracy", "%", True)),
        ("Top1-acc", Metric("Top-1 Accuracy", "%", True)),
        ("top-1 accuracy", Metric("Top-1 Accuracy", "%", True)),
        ("box AP", Metric("Box AP", "", True)),
        ("bbAP", Metric("Box AP", "", True)),
        ("mIOU", Metric("mIoU", "%", True)),
        ("FID", Metric("FID", "", False)),
        ("word error rate", Metric("WER", "%", False)),
        ("PPL", Metric("Perplexity", "", False)),
        ("BLEU-4", Metric("BLEU", "", True)),
        ("F1-score", Metric("F1", "", True)),
        ("pass@1", Metric("pass@1", "%", True)),
        # unknown metrics: name kept, unit and direction guessed
        ("frobnication loss", Metric("frobnication loss", None, False)),
        ("detection miss rate", Metric("detection miss rate", "%", False)),
        ("p99 latency", Metric("p99 latency", None, False)),
        ("grounding accuracy", Metric("grounding accuracy", "%", True)),
        ("widget score", Metric("widget score", None, True)),
    ],
)
def test_metric(written: str, metric: Metric) -> None:
    assert ALIASES.metric(written) == metric


def test_user_file_overrides_and_adds(tmp_path: Path) -> None:
    user = tmp_path / "aliases.toml"
    user.write_text(
        '[datasets]\n"ImageNet-1k (val)" = ["ImageNet"]\n"Widgets-5" = ["W5"]\n'
        '[metrics.FID]\naliases = ["frechet"]\nhigher_is_better = true\n',
        encoding="utf-8",
    )
    layered = Aliases.load(user)
    assert layered.dataset("ImageNet") == "ImageNet-1k (val)"  # the alias moved
    assert layered.dataset("ImageNet-1K") == "ImageNet-1k"  # the rest of the entry stays
    assert layered.dataset("w5") == "Widgets-5"
    assert layered.metric("frechet") == Metric("FID", "", True)
    assert layered.digest() != ALIASES.digest()


def test_digest_is_stable() -> None:
    assert Aliases.load().digest() == ALIASES.digest() == Aliases.load(DEFAULT_ALIASES).digest()


def test_bad_file_names_the_place(tmp_path: Path) -> None:
    user = tmp_path / "bad.toml"
    user.write_text("[datasets]\nImageNet = 3\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.toml"):
        Aliases.load(user)


def test_extraction_json_shape() -> None:
    extraction = Extraction(
        CodeLinks(("github.com/a/b",), ("a.github.io",), False),
        (
            ReportedResult("COCO", "Box AP", 58.7, "58.7 box AP on COCO"),
            ReportedResult("X", "F1", 0.9, "t", "M"),
        ),
    )
    assert extraction_json("2501.00001", extraction) == {
        "key": "2501.00001",
        "code_urls": ["github.com/a/b"],
        "project_urls": ["a.github.io"],
        "code_promised": False,
        "results": [
            {"dataset": "COCO", "metric": "Box AP", "value": 58.7, "text": "58.7 box AP on COCO"},
            {"dataset": "X", "metric": "F1", "value": 0.9, "text": "t", "model": "M"},
        ],
    }
