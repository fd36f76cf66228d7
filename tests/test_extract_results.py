"""Reported results: absolute scores of the paper's own method, tied to a named dataset and metric.

Each row is (abstract text, expected (dataset as written, value) pairs, in order). Rows with no
expected pairs are the non-results the reader must leave alone: improvements, baselines,
efficiency figures, sizes, bounds and ranges.
"""

from __future__ import annotations

import pytest

from papersift.extract import extract, find_results

RESULTS = [
    # the formats seen in the seed abstracts
    ("Its image classification reaches 87.3 top-1 accuracy on ImageNet-1K.", [("ImageNet-1K", 87.3)]),
    (
        "It obtains 58.7 box AP and 51.1 mask AP on COCO test-dev.",
        [("COCO test-dev", 58.7), ("COCO test-dev", 51.1)],
    ),
    (
        "UniFormer gets 82.9/84.8 top-1 accuracy on Kinetics-400/600.",
        [("Kinetics-400", 82.9), ("Kinetics-600", 84.8)],
    ),
    ("Our model sets a new record with an FID of 1.24 on ImageNet 256x256.", [("ImageNet 256x256", 1.24)]),
    ("We obtain 2.08\\% test error on CIFAR-10.", [("CIFAR-10", 2.08)]),
    (
        "For example, RMT achieves 84.1% Top1-acc on ImageNet-1k using merely 4.5G FLOPs.",
        [("ImageNet-1k", 84.1)],
    ),
    ("SG-Former gets 51.2mAP bbAP on CoCo and 52.7mIoU on ADE20K.", [("CoCo", 51.2), ("ADE20K", 52.7)]),
    # common in NLP, speech and elsewhere
    ("Our model achieves a BLEU score of 28.4 on WMT14 English-German.", [("WMT14 English-German", 28.4)]),
    ("The model achieves an accuracy of 92.1% on SST-2.", [("SST-2", 92.1)]),
    ("Our method reaches 45.6% mIoU on ADE20K.", [("ADE20K", 45.6)]),
    ("It outperforms all baselines with an F1 of 0.87 on CoNLL-2003.", [("CoNLL-2003", 0.87)]),
    ("TransNeXt-Tiny attains an ImageNet accuracy of 84.0%, surpassing ConvNeXt-B.", [("ImageNet", 84.0)]),
    (
        "It gets a COCO object detection mAP of 57.1 and an ADE20K semantic segmentation mIoU of 54.7.",
        [("COCO", 57.1), ("ADE20K", 54.7)],
    ),
    ("SimCLR with DCL achieves 68.2% ImageNet-1K top-1 accuracy.", [("ImageNet-1K", 68.2)]),
    (
        "We achieve top-1 accuracy of 93.05%, 70.15% and 67.71% on CIFAR-10, CIFAR-100 and ImageNet, "
        "respectively.",
        [("CIFAR-10", 93.05), ("CIFAR-100", 70.15), ("ImageNet", 67.71)],
    ),
    (
        "Our system achieves a WER of 2.1% on LibriSpeech test-clean and 4.3% on test-other.",
        [("LibriSpeech test-clean", 2.1), ("test-other", 4.3)],
    ),
    (
        "As a result, on COCO object detection, MOAT achieves 59.2% box AP with 227M model parameters.",
        [("COCO", 59.2)],
    ),
    (
        "achieving 60.60%/80.12% mAP50:95/mAP50 on HCCB and 57.36%/74.65% on SCB-D3-S.",
        [("HCCB", 60.6), ("HCCB", 80.12), ("SCB-D3-S", 57.36), ("SCB-D3-S", 74.65)],
    ),
    (
        "our method improves the mean accuracy of ResNet-50 on ImageNet from 35.6% to 46.7%.",
        [("ImageNet", 46.7)],
    ),
    (
        "On the TensorRT platform, FMViT outperforms Resnet101 by 2.5% (83.3% vs. 80.8%) in top-1 accuracy "
        "on the "
        "ImageNet dataset.",
        [("ImageNet", 83.3)],
    ),
    # the dataset set up by the previous sentence
    (
        "Experimental results on the ImageNet benchmark illustrate that TinyNet is better. "
        "For instance, our TinyNet-E "
        "achieves a 59.9% Top-1 accuracy with only 24M FLOPs.",
        [("ImageNet", 59.9)],
    ),
    # not results: improvements and deltas
    ("This surpasses the previous state-of-the-art by +2.7 box AP on COCO.", []),
    ("Our approach improves top-1 accuracy by 2.1% on ImageNet.", []),
    ("GrowCLIP improves 2.3% average top-1 accuracy on ImageNet.", []),
    ("RAM++ showcases 10.2 mAP and 15.4 mAP enhancements over CLIP on OpenImages.", []),
    ("PriorRG achieves a 3.6% BLEU-4 and 3.8% F1 score improvement on MIMIC-CXR.", []),
    ("we improve a strong framework by about 2.0 AP on COCO test-dev.", []),
    # not results: baselines, ranges, bounds
    ("Previous methods achieve 80.1% accuracy on ImageNet.", []),
    ("ElasticViT achieves top-1 accuracy from 67.2% to 80.0% on ImageNet from 60M to 800M FLOPs.", []),
    ("MetaFormer achieves over 80% accuracy on ImageNet-1K.", []),
    ("The model achieves an accuracy of >81% on ImageNet-1K.", []),
    ("MEAL V2 boosts ResNet-50 to 80%+ Top-1 accuracy on ImageNet.", []),
    ("It reaches up to 85% top-1 accuracy on ImageNet.", []),
    ("The models achieve 98-99% accuracy on MNIST.", []),
    # not results: efficiency figures and sizes
    ("It runs at 23.1 ms latency on a Samsung S8 phone and needs 295M FLOPs.", []),
    ("Our method reduces FLOPs by 88.5% on LLaVA.", []),
    ("The dataset consists of 16,496 images collected from 260 persons.", []),
    ("We train with only 30% of the data on ImageNet.", []),
    # not results: no named dataset or metric
    ("mPLUG-video achieves 80.5% top-1 accuracy on these benchmarks.", []),
    (
        "It achieves state-of-the-art performance on the datasets of Kinetics "
        "(90.0% on K400 and 89.9% on K600).",
        [],
    ),
    ("After pretrained on ImageNet-22K, it attains 87.1% and 88.1% top-1 accuracy.", []),
]


@pytest.mark.parametrize(("text", "expected"), RESULTS)
def test_results(text: str, expected: list[tuple[str, float]]) -> None:
    found = [(r.dataset, r.value) for r in find_results(text)]
    assert found == expected


@pytest.mark.parametrize(
    ("text", "metric", "model"),
    [
        ("For example, RMT achieves 84.1% Top1-acc on ImageNet-1k.", "Top1-acc", "RMT"),
        ("It obtains 58.7 box AP on COCO test-dev.", "box AP", None),
        ("Our model achieves an FID of 1.24 on ImageNet 256x256.", "FID", None),
        ("our TinyNet-E achieves a 59.9% Top-1 accuracy on ImageNet.", "Top-1 accuracy", "TinyNet-E"),
    ],
)
def test_metric_and_model_as_written(text: str, metric: str, model: str | None) -> None:
    (result,) = find_results(text)
    assert (result.metric, result.model) == (metric, model)


def test_evidence_is_a_span_of_the_text() -> None:
    text = "Our model achieves 87.3 top-1\naccuracy on ImageNet-1K with 5.1G FLOPs."
    (result,) = find_results(text)
    assert result.text in text
    assert "87.3" in result.text and "ImageNet-1K" in result.text


def test_extract_makes_dataset_and_metric_canonical() -> None:
    extraction = extract(
        "A title", "RMT achieves 84.1% Top1-acc on ImageNet-1k. Code: https://github.com/A/B."
    )
    (result,) = extraction.results
    assert (result.dataset, result.metric, result.value) == ("ImageNet-1k", "Top-1 Accuracy", 84.1)
    assert extraction.code.code_urls == ("github.com/a/b",)
