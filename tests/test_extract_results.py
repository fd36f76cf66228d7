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
    (
        "UniFormer gets 60.9/71.2 top-1 accuracy on Something-Something V1/V2.",
        [("Something-Something V1", 60.9), ("Something-Something V2", 71.2)],
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
    # metric words keep their case: "Synapse", "mapping" and "apply" are no AP
    (
        "MM-UNet achieves a Dice score of 91.0% on AMOS2022, surpassing nnUNet by 3.2%, and a Dice score "
        "of 87.1% on Synapse.",
        [("AMOS2022", 91.0), ("Synapse", 87.1)],
    ),
    ("We improve macro-F1 to 90.4% on SST-5.", [("SST-5", 90.4)]),
    # "SWE-bench" is a name ("AI-driven", "LLM-based" are descriptions)
    (
        "We train SWE-agent-LM-32B, achieving 40.2% Pass@1 resolve rate on the SWE-bench Verified benchmark.",
        [("SWE-bench Verified", 40.2)],
    ),
    ("We build an AI-driven tool. It reaches 87% accuracy.", []),
    # a name that modifies a noun is weak; a dataset word a few words on keeps it a dataset
    ("It is common in PD patients. Our model achieves 93.7% F1-score.", []),
    ("On the EgoSchema blind test set, our method achieves 77% accuracy.", [("EgoSchema", 77.0)]),
    (
        "Experiments on the RefCOCO series datasets, our method attained 87.1%, 86.5%, and 85.8% IoU.",
        [("RefCOCO", 87.1), ("RefCOCO", 86.5), ("RefCOCO", 85.8)],
    ),
    # an acronym of a plain term is no dataset
    ("Parkinson's disease (PD) is common. Our model achieves 93.7% F1-score.", []),
    (
        "On CTG 2.0, the proposed model achieves 84.4% AP@0.5 and 58.43% AP@0.5-0.95, improving over the "
        "YOLO11m baseline by 6.42 and 8.75 AP points.",
        [("CTG 2.0", 84.4), ("CTG 2.0", 58.43)],
    ),
    (
        "On LRS2, it achieves a state-of-the-art Word Error Rate (WER) of 1.27.",
        [("LRS2", 1.27)],
    ),
    # a dataset the paper introduces is the one a later sentence's result is on
    (
        "We introduce BigTok, the first expert-annotated dataset of 2,200 TikTok videos. "
        "Through an evaluation of models, we achieve 0.829% accuracy on primary category classification.",
        [("BigTok", 0.829)],
    ),
    # a decline is a weakness shown
    (
        "On AD-Bench our agent performs well, but performance drops significantly on L3 to Pass@1 = 49.4%.",
        [],
    ),
    # values and datasets paired by "respectively", metric by metric
    (
        "Our model achieves an IS of 13.7 and 12.8, and an FID of 52.3 and 60.3, on COCO and Visual Genome, "
        "respectively.",
        [("COCO", 13.7), ("Visual Genome", 12.8), ("COCO", 52.3), ("Visual Genome", 60.3)],
    ),
    # a benchmark named by an appositive is the one later results are on
    (
        "ReMMD includes ReMMDBench, a real-world multimodal misinformation detection benchmark with 500 "
        "samples. The agent reaches 41.80% accuracy and 39.12% macro-F1 using GPT-5.2.",
        [("ReMMDBench", 41.8), ("ReMMDBench", 39.12)],
    ),
    # not results: only an unnamed dataset of the paper's own, or a weak name in the sentence itself
    ("On ImageNet we pretrain. Experiments on our proposed theorem proving dataset show 4.2% accuracy.", []),
    (
        "On AG News, we do well. When trained with SFT on MSMARCO web documents, our method reaches a "
        "perplexity of 2.3.",
        [],
    ),
    # not results: models are no datasets; a range of gains is no score
    ("We reach a perplexity (PPL) of 18.01 and 19.55 on LLaMA-7B and LLaMA-13B.", []),
    ("Our method brings accuracy gains ranging from 5.24 to 10.94 on DVBench.", []),
    ("It gives an increase in the area under the curve (AUC) of 1.2% on MIMIC-IV.", []),
    ("It beats the baseline, with improvements in top-1 accuracy of 3.6% on LTCC and 3.4% on PRCC.", []),
    # not results: a beaten method's number in brackets
    ("Our detector outperforms the method of Delplanque (0.934 AP on the Virunga dataset).", []),
    # not results: the baseline after "vs.", a bound, existing models, another number's condition
    ("It excels (0.88 vs. 0.61 AUC on Summedits).", [("Summedits", 0.88)]),
    ("State-of-the-art LLMs achieve a maximum F1 score of 8.97 on X-Bench.", []),
    ("On AD-Bench, Gemini-3-Pro achieves Pass@1 = 68.0%.", []),
    ("On CXMArena, standard embedding methods yield a low F1 score of 0.3 for refinement.", []),
    ("We obtain a balanced accuracy of 94.8% for depression and 96.2% for PTSD.", []),
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
