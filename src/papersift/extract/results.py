"""Benchmark results an abstract reports for its own method: (dataset, metric, value, evidence).

Abstracts state results in a handful of shapes: "87.3 top-1 accuracy on ImageNet-1K", "an FID
of 1.24", "an ImageNet accuracy of 84.0%", "82.9/84.8 top-1 accuracy on Kinetics-400/600". The
reader tokenises each sentence that could hold one, ties every number to a metric next to it
and to a dataset (in the same phrase, else in the sentence, else in the sentence that set up
the evaluation), and drops what is not an absolute score of the paper's own method:
improvements ("+2.7 AP", "by 3%"), baselines ("vs. 80.8%", "from 35.6% to"), bounds ("over
80%", "80%+"), efficiency figures and sizes (no metric word sits next to them).

Dataset and metric come back as written; `papersift.extract.extract` makes them canonical.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from papersift.extract.aliases import Aliases, default_aliases, tidy_name
from papersift.records import ReportedResult

# Cheap tests first: a result needs a digit beside a metric word somewhere in the text.
_METRIC_WORD = re.compile(
    r"accura|\bacc\b|error|\bm?AP|IoU|FID|BLEU|ROUGE|\bF1|F-(?:score|measure)|\bEM\b|WER|CER|EER|PSNR|SSIM|"
    r"LPIPS|perplexit|PPL|pass@|R@\d|top-?\d|recall|precision|AUC|AUROC|CIDEr|METEOR|SPICE|Dice|nDCG|NDCG|"
    r"MRR|success rate|win rate|\bscore|\bMAE|RMSE|\bMSE|Inception|\bIS\b|TEDS|\bPQ\b|bits/dim|BPC|bpd",
    re.I,
)

# Substring tests are far cheaper than any regex: lowercase keys, and short ones with their case.
_METRIC_KEYS = (
    "accura", "acc.", "acc@", "-acc", "acc ", "error", "iou", "fid", "bleu", "rouge", "f1", "f-score",
    "f-measure", "psnr", "ssim", "lpips", "perplex", "ppl", "pass@", "r@", "top-1", "top1", "top-5", "top5",
    "recall", "precision", "auc", "cider", "meteor", "spice", "dice", "ndcg", "mrr", "success rate",
    "win rate", "score", "inception", "teds", "bits/dim", "bpc", "bpd", "return", "dsc",
)  # fmt: skip
_METRIC_KEYS_CASED = ("AP", "EM", "IS", "PQ", "WER", "CER", "EER", "MAE", "MSE", "mAP", "MAP", "OA")


def _may_name_metric(sentence: str) -> bool:
    return _holds_any(sentence.lower(), _METRIC_KEYS) or _holds_any(sentence, _METRIC_KEYS_CASED)


def _holds_any(text: str, keys: tuple[str, ...]) -> bool:
    for key in keys:  # noqa: SIM110 (a loop: cheaper than any() over a generator)
        if key in text:
            return True
    return False


# Words first (most tokens are words), their inner marks unrolled: twice as fast as the plain
# alternation `(?:[\w@^'+]|[-:](?=\w)|...)*`, with the same tokens.
_TOKEN = re.compile(
    r"(?P<word>[^\W\d_][\w@^'+]*(?:(?:[-:](?=\w)|\.(?=\d)|/(?=[A-Za-z]\w*@))[\w@^'+]*)*)"
    r"|(?P<num>(?<![\w.@])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d,])|(?<![\w.@])\d+(?:\.\d+)?)"
    r"|(?P<pct>\\?%)"
    r"|(?P<other>\S)"
)
# A regex that starts with a literal scans fast; "\d\.\d" would test every character.
_DOT_DIGIT = re.compile(r"\.\d")
_NEAR_BEFORE = 60
_NEAR_AFTER = 60
_SHARED_WINDOW = 20  # a candidate this close after a window read shares its answer
_VERSION = re.compile(r"[Vv]\d{1,2}")  # a version written after a dataset's name ("V2")
_SENTENCE_END = re.compile(r"[.!?]\s+(?=[A-Z(\[\"'$\\])")

# Metric head words: the last word of a metric phrase ("box AP", "top-1 accuracy", "F1 score").
_HEAD = re.compile(
    r"^(?:top-?\d+(?:-?acc(?:uracy)?|-?err(?:or)?)?|top\d+-acc|acc(?:uracy|uracies)?|errors?|err|"
    r"mIoU|mIOU|IoU|mAcc|FID(?:-\w+)?|FVD|KID|BLEU(?:-\d)?|sacreBLEU|"
    r"ROUGE(?:-\w+)?|METEOR|CIDEr(?:-D)?|SPICE|F1(?:-scores?|-measures?)?|F-scores?|F-measures?|F_1|EM|WER|WERs|CER|EER|"
    r"PSNR|SSIM|LPIPS|perplexity|perplexities|PPL|pass@\d+|Pass@\d+|R@\d+|Recall@\d+|recall|precision|"
    r"AUC|AUROC|ROC-AUC|AUPRC|Dice|DSC|mDice|nDCG(?:@\d+)?|NDCG(?:@\d+)?|MRR|MAP|rate|score|scores|IS|PQ|"
    r"MAE|RMSE|MSE|TEDS|bits/dim|BPC|bpd|Acc@\d|HNS|OA|return)$",
    re.I,
)
# The AP family, with its case: "mAP", "box AP", "AP50", "APbox" (not "Synapse", "mapping", "apply").
_AP_HEAD = re.compile(r"^(?:[A-Za-z]{0,4}AP(?:_?\w{0,4}|\^\w+|@[\d.:-]+)?|mAP[\w@.:-]*)$")
# "macro-F1", "micro-F1", "weighted-F1": F1 and its kin with an averaging prefix.
_AVERAGED_HEAD = re.compile(
    r"^(?:macro|micro|weighted|balanced)-(?:F1|AUC|AUROC|accuracy|recall|precision)$", re.I
)
# Heads whose bare lowercase spelling is an ordinary English word (need an uppercase form).
_CASE_SENSITIVE_HEADS = {"is", "em", "oa", "map", "pq", "rate", "return"}
# Words that may stand between a number and its metric head ("top-1 fine-tuning accuracy").
_MODIFIERS = {
    "top-1", "top-5", "box", "mask", "bbox", "mean", "average", "averaged", "overall", "test", "validation",
    "val", "classification", "recognition", "detection", "segmentation", "retrieval", "linear", "probing",
    "probe", "fine-tuning", "finetuning", "fine-tuned", "zero-shot", "few-shot", "one-shot", "exact",
    "match", "macro", "micro", "weighted", "macro-averaged", "micro-averaged", "word", "character",
    "error", "success", "win", "inception", "semantic", "instance", "object", "panoptic", "image", "video",
    "text", "top-1-acc", "single-model", "single-scale", "multi-scale", "relative", "absolute", "human",
    "normalized", "normalised", "human-normalized", "balanced", "frame", "clip", "action", "pass",
    "equal", "structural", "similarity", "peak", "top", "dice", "intersection", "over", "union",
    "reciprocal", "rank", "f1", "bleu", "rouge", "acc", "accuracy", "state-of-the-art", "sota", "new",
    "record", "leading", "competitive", "strong", "impressive", "remarkable", "high", "highest", "best",
    "an", "a", "the", "of", "average-case", "end-to-end", "task", "recall", "precision", "and", "or",
    "&", "/", "(", ")", "mAP", "AP", "in-domain", "out-of-domain", "cross-domain", "official",
}  # fmt: skip
# After the metric: words that make the number a difference, not a score.
_DELTA_AFTER = re.compile(
    r"^(?:improvements?|gains?|boosts?|increases?|increments?|enhancements?|higher|lower|better|worse|more|"
    r"less|fewer|reductions?|drops?|decreases?|degradations?|margins?|faster|slower|smaller|larger|"
    r"relative|points?|pp|p\.p|advantage|lead|over|above|improved|improving|superior|ahead|"
    r"deterioration|loss|losses|speed-?ups?|savings?|compression|sparsity)$",
    re.I,
)
# Before the number: words that make it a delta, a bound, a baseline or a starting point.
_NOT_SCORE_BEFORE = re.compile(
    r"^(?:by|over|above|exceeding|exceeds|exceed|beyond|than|vs|versus|from|under|below|nearly|almost|"
    r"least|most|max|maximum|minimum|upto|to|\+|>|<|≥|≤|~|≈|±|-|−|only|merely|just|within|ranging|between)$",
    re.I,
)
_APPROXIMATELY = {"about", "around", "approximately", "roughly", "nearly", "almost", "~", "≈", "some"}
_DELTA_VERB = re.compile(
    r"^(?:improv(?:es|ed|e|ing)|increas(?:es|ed|e|ing)|boost(?:s|ed|ing)?|rais(?:es|ed|e|ing)|gain(?:s|ed|ing)?|"
    r"surpass(?:es|ed|ing)?|outperform(?:s|ed|ing)?|exceed(?:s|ed|ing)?|reduc(?:es|ed|e|ing)|lower(?:s|ed|ing)?|"
    r"decreas(?:es|ed|e|ing)|cut(?:s|ting)?|beat(?:s|ing)?|adds?|lifts?|brings?)$",
    re.I,
)
# Units that make a number an efficiency figure or a size.
_UNIT_AFTER = re.compile(
    r"^(?:ms|s|sec|seconds?|minutes?|hours?|days?|h|x|times|×|fps|flops|gflops|tflops|macs|gmacs|params|"
    r"parameters|M|B|K|G|T|MB|GB|KB|TB|GPU|GPUs|tokens?|images?|samples?|examples?|epochs?|layers?|steps?|"
    r"bits?|bit|hz|khz|mhz|ghz|dB|w|watts?|mm|cm|m|km|nm|%-?|fold|k|million|billion|thousand|percent|"
    r"categories|classes|languages|tasks|datasets|benchmarks|subjects|users|videos|hours)$"
)
# Words that end a dataset name (lowercase words are not names unless they are split names).
_SPLIT_WORDS = {
    "test-dev", "test-std", "val", "validation", "test", "dev", "test-clean", "test-other", "dev-clean",
    "dev-other", "minival", "val2017", "test2017", "test-challenge", "v1", "v2", "v1.0", "v2.0", "v3",
    "hard", "easy", "verified", "lite", "diamond", "mini", "full", "set", "split",
}  # fmt: skip
# "AI-assisted", "LLM-based", "GPU-accelerated": descriptions, not names.
_DESCRIPTIVE = re.compile(
    r"^[A-Z0-9]+-[a-z]{2,}(?:ed|en|ing|ive|able|ible|al|ic|ful|less|ous|wise|aware|based|free|like|level|scale|"
    r"specific|centric|agnostic|friendly|native|intensive|grained|style|only|shot)$"
)
# Model families: "on LLaMA-7B", "on Qwen2.5-7B" name the model evaluated, not a dataset.
_MODEL_NAME = re.compile(
    r"^(?:llama|qwen|mistral|mixtral|gpt|gemma|phi-?\d|deepseek|vicuna|bloom|falcon|bert|roberta|deberta|"
    r"t5|vit|deit|resnet|swin|claude|gemini|internvl|llava|yolo|opt-\d)[\w.-]*$",
    re.I,
)
# Capitalised words that can continue a name they cannot start: "SemEval 2025 Task 5".
_NAME_PARTS = {"task", "track", "subtask", "challenge", "benchmark", "dataset"}
# Capitalised words that never start a dataset name.
_NOT_DATASET = {
    "we", "our", "the", "this", "these", "it", "its", "in", "on", "for", "with", "and", "a", "an",
    "table", "fig", "figure", "section", "sec", "however", "moreover", "furthermore", "specifically",
    "notably", "finally", "experiments", "experimental", "results", "extensive", "compared", "code",
    "using", "by", "to", "of", "at", "as", "when", "while", "which", "that", "both", "all", "each",
    "average", "top-1", "top-5", "sota", "state-of-the-art", "ours", "github", "gpu", "gpus", "cpu",
    "tpu", "ai", "llm", "llms", "vlm", "vlms", "mllms", "mllm", "nlp", "cv", "zero-shot", "few-shot",
    "i", "ii", "iii", "iv", "e.g", "i.e", "addition", "contrast", "particular", "summary", "overall",
    "besides", "additionally", "also", "then", "thus", "hence", "there", "they", "their", "one", "two",
    "three", "first", "second", "third", "new", "many", "several", "various", "multiple", "different",
    "standard", "popular", "public", "real-world", "large-scale", "challenging", "benchmark", "benchmarks",
    "dataset", "datasets", "tasks", "task", "models", "model", "method", "methods", "approach",
    "framework", "system", "network", "networks", "cnn", "cnns", "transformer", "transformers", "vit",
}  # fmt: skip
_VERBS = re.compile(
    r"^(?:achiev\w*|attain\w*|obtain\w*|reach\w*|yield\w*|gets?|getting|scor\w*|sets?|setting|records?|"
    r"deliver\w*|improv\w*|boost\w*|lifts?|rais\w*|push\w*|brings?|surpass\w*|outperform\w*|hits?|"
    r"acquires?|exhibits?|demonstrat\w*|shows?|reports?|has|have|had|records)$",
    re.I,
)
_DATASET_PREPOSITIONS = {"on", "in", "for", "across"}
# "pre-trained on ImageNet-22K": training data, not where the number was measured.
# "built on ONNX Runtime", "deployed on iPhone 12": not an evaluation either.
_TRAINING_WORDS = {
    "pretrained", "pre-trained", "pretraining", "pre-training", "trained", "training", "distilled",
    "finetuned", "fine-tuned", "built", "based", "deployed", "implemented", "running", "runs", "run",
    "relies", "rely", "latency", "inference", "measured",
}  # fmt: skip
_VAGUE_REFERENCE = re.compile(
    r"\b(?:these|those|our|both|all|several|multiple|various|the)\s+(?:\w+\s+){0,2}(?:benchmarks|datasets|tasks|topics|settings)\b"
    r"|\b(?:our|an?)\s+(?:[\w-]+\s+){0,3}(?:dataset|benchmark|corpus)\b"  # "on our proposed ... dataset"
    r"|\bunseen\b",
    re.I,
)
_BASELINE_SUBJECT = re.compile(
    r"\b(?:previous|prior|existing|baselines?|competitors?|counterparts?|conventional|vanilla|"
    r"original|teacher|closed-source|open-source\s+models|frontier|best\s+model|gpt-4o?|human|"
    # evaluated models, not the paper's own: "state-of-the-art LLMs achieve", "Gemini-3-Pro achieves"
    r"(?:state[- ]of[- ]the[- ]art|sota|leading|commercial|proprietary|open-weight|standard|off-the-shelf)"
    r"\s+(?:[\w-]+\s+){0,2}(?:llms|mllms|vlms|models|systems|agents|methods|approaches)|llms|mllms|vlms|"
    r"(?:gpt|gemini|claude|grok|llama|qwen|deepseek|mistral)[\w.-]*)\b",
    re.I,
)


_DECLINE = re.compile(
    r"^(?:drops?|dropped|dropping|falls?|fell|falling|declines?|declined|declining|degrades?|degraded|"
    r"deteriorates?|deteriorated|plummets?|plummeted|collapses?|collapsed)$",
    re.I,
)
_LOWER_IS_BETTER = re.compile(
    r"^(?:errors?|err|WERs?|CER|EER|FID(?:-\w+)?|FVD|KID|perplexit(?:y|ies)|PPL|MAE|RMSE|MSE|loss|LPIPS|bpd|BPC|"
    r"bits/dim)$",
    re.I,
)


_DELTA_NOUNS = {
    "increase", "increases", "decrease", "decreases", "improvement", "improvements", "gain", "gains",
    "reduction", "reductions", "drop", "drops", "boost", "boosts",
}  # fmt: skip


@dataclass(slots=True)
class _Token:
    kind: str  # "num", "word", "pct", "other"
    text: str
    start: int
    end: int


@dataclass(slots=True)
class _Dataset:
    name: str
    start: int  # offsets in the abstract
    end: int
    token: int  # token index of its first word within its sentence
    training: bool = False  # named as training data ("pre-trained on X")
    strong: bool = True  # a benchmark-like name (digits, inner capitals, or in the alias table)


def find_results(text: str, aliases: Aliases | None = None) -> tuple[ReportedResult, ...]:
    """Absolute scores the text reports for its own method, with dataset and metric as written."""
    # Cheap tests first (this runs on every imported paper): a score is a percentage or a
    # decimal, and a metric word sits near it. Only the sentences of such numbers are read.
    positions = _near_metric(text, _candidates(text)) if text else []
    if not positions:
        return ()
    table = aliases if aliases is not None else default_aliases()
    abstract = _Abstract(text, table)
    found: list[ReportedResult] = []
    seen: set[tuple[str, str, float]] = set()
    starts = [start for start, _ in abstract.sentences]
    candidates = sorted({bisect_right(starts, position) - 1 for position in positions})
    for index in candidates:
        tokens = abstract.tokens(index)
        for result in _sentence_results(text, tokens, abstract, index, table):
            key = (table.dataset(result.dataset), table.metric(result.metric).name, result.value)
            if key not in seen:
                seen.add(key)
                found.append(result)
    return tuple(found)


def _candidates(text: str) -> list[int]:
    """Where the text may give a score: its "%" signs and decimal numbers (at the digit before the point)."""
    found = []
    index = text.find("%")
    while index >= 0:
        found.append(index)
        index = text.find("%", index + 1)
    for match in _DOT_DIGIT.finditer(text):
        start = match.start()
        if start and text[start - 1].isdigit():
            found.append(start - 1)
    return found


# An acronym defined after a plain lowercase word names a term, not a dataset: "Parkinson's
# disease (PD)", "deep learning (DL)" (datasets are defined by names: "Geriatric Depression Scale").
_PAREN_ACRONYM = re.compile(r"\(([A-Z][A-Za-z0-9-]*)\)")  # led by a literal: scans fast
_PLAIN_WORD = re.compile(r"[a-z][a-z'-]+")


def _term_acronyms(text: str) -> set[str]:
    terms = set()
    for match in _PAREN_ACRONYM.finditer(text):
        before = text[max(0, match.start() - 40) : match.start()]
        if before[-1:].isspace():
            words = before.split()
            if words and _PLAIN_WORD.fullmatch(words[-1]):
                terms.add(match.group(1))
    return terms


def _near_metric(text: str, candidates: list[int]) -> list[int]:
    """The candidates with a metric word near them; a candidate close after one whose window
    was read shares its answer ("82.8%, 84.2%, and 84.6% top-1")."""
    found: list[int] = []
    last_read = -_NEAR_AFTER
    holds = False
    for position in sorted(candidates):
        if position - last_read > _SHARED_WINDOW:
            last_read = position
            holds = _may_name_metric(text[max(0, position - _NEAR_BEFORE) : position + _NEAR_AFTER])
        if holds:
            found.append(position)
    return found


class _Abstract:
    """A text's sentences, tokenised and searched for datasets only when a result needs them."""

    def __init__(self, text: str, table: Aliases) -> None:
        self.text = text
        self.table = table
        self.sentences = _sentences(text)
        self._tokens: dict[int, list[_Token]] = {}
        self._datasets: dict[int, list[_Dataset]] = {}
        self._only: str | bool | None = False  # False: not computed yet
        self._terms: set[str] | None = None

    def tokens(self, index: int) -> list[_Token]:
        tokens = self._tokens.get(index)
        if tokens is None:
            start, end = self.sentences[index]
            tokens = self._tokens[index] = _tokens(self.text, start, end)
        return tokens

    def datasets(self, index: int) -> list[_Dataset]:
        """The datasets a sentence names (found only when one of its numbers has a metric)."""
        datasets = self._datasets.get(index)
        if datasets is None:
            datasets = self._datasets[index] = _datasets_in(self.tokens(index), self.table)
            if datasets:
                if self._terms is None:
                    self._terms = _term_acronyms(self.text)
                for dataset in datasets:
                    if dataset.name in self._terms:
                        dataset.strong = False
        return datasets

    def previous_datasets(self, index: int) -> list[_Dataset]:
        """The datasets of the nearest earlier sentence that names any."""
        for earlier in range(index - 1, -1, -1):
            datasets = self.datasets(earlier)
            if datasets:
                return datasets
        return []

    def only_dataset(self) -> str | None:
        """The one evaluation dataset the whole text names, if it names exactly one."""
        if self._only is False:
            names: dict[str, None] = {}
            for index in range(len(self.sentences)):
                for dataset in self.datasets(index):
                    if dataset.strong and not dataset.training:
                        names.setdefault(self.table.dataset(dataset.name))
                if len(names) > 1:
                    break  # two already: the rest need not be read
            self._only = next(iter(names)) if len(names) == 1 else None
        return self._only if isinstance(self._only, str) else None


def _sentences(text: str) -> list[tuple[int, int]]:
    spans = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if match.start() + 1 > start:
            spans.append((start, match.start() + 1))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def _tokens(text: str, start: int, end: int) -> list[_Token]:
    return [
        _Token(m.lastgroup or "other", m.group(), m.start(), m.end())
        for m in _TOKEN.finditer(text, start, end)
    ]


def _is_head(token: _Token) -> bool:
    if token.kind != "word":
        return False
    if not _HEAD.match(token.text):
        text = token.text
        return bool(("AP" in text and _AP_HEAD.match(text)) or ("-" in text and _AVERAGED_HEAD.match(text)))
    lowered = token.text.lower()
    if lowered in _CASE_SENSITIVE_HEADS:
        if lowered in ("rate", "return"):
            return True
        return token.text != lowered and not (lowered == "map" and token.text == "Map")
    return True


def _name_like(token: _Token, table: Aliases) -> bool:
    """A word that can be (part of) a dataset name: capitalised or with digits, or a known name."""
    if token.kind != "word":
        return False
    word = token.text
    if word.lower() in _NOT_DATASET or _is_head(token) or _DESCRIPTIVE.match(word):
        return False
    if table.is_known_dataset(word) and (not word.islower() or "-" in word):
        return True
    return (
        any(c.isupper() for c in word[1:])
        or any(c.isdigit() for c in word)
        or (word[0].isupper() and len(word) > 1)
    )


def _join(tokens: list[_Token]) -> str:
    """Tokens back into text, spaced as written (a line break becomes a space)."""
    parts = []
    for index, token in enumerate(tokens):
        if index and token.start > tokens[index - 1].end:
            parts.append(" ")
        parts.append(token.text)
    return "".join(parts)


def _strong_name(name: str, table: Aliases) -> bool:
    """ "ImageNet-1K", "SemEval 2025 Task 5", "COCO" rather than "German" or "Internet"."""
    if table.is_known_dataset(name) or table.is_known_dataset(name.split()[0]):
        return True
    return any(c.isdigit() for c in name) or any(c.isupper() for w in name.split() for c in w[1:])


def _dataset_at(tokens: list[_Token], index: int, table: Aliases) -> tuple[str, int, int, int] | None:
    """A dataset name starting at token `index` (after an optional "the"): (name, start, end, next)."""
    i = index
    if i < len(tokens) and tokens[i].text.lower() in ("the", "a"):
        i += 1
    if i >= len(tokens) or not _name_like(tokens[i], table) or _MODEL_NAME.match(tokens[i].text):
        return None
    first = i
    last = i
    i += 1
    while i < len(tokens) and i - first < 6:
        token = tokens[i]
        lowered = token.text.lower()
        if token.kind == "word" and (
            _name_like(token, table)
            or lowered in _SPLIT_WORDS
            or (token.text[0].isupper() and lowered in _NAME_PARTS)
        ):
            if lowered in ("set", "split") or (_is_head(token)):
                break
            last = i
        elif (
            token.kind == "num"
            and i + 2 < len(tokens)
            and tokens[i + 1].text in ("x", "×")
            and tokens[i + 2].kind == "num"
        ):
            last = i + 2  # "ImageNet 224 x 224" (the alias table drops the resolution)
            i += 2
        elif token.kind == "num" and (
            tokens[i - 1].kind == "word"
            and token.start == tokens[i - 1].end + 1
            and not (i + 1 < len(tokens) and tokens[i + 1].kind in ("pct",))
            and not (i + 1 < len(tokens) and _is_head(tokens[i + 1]))
            and not (i + 1 < len(tokens) and tokens[i + 1].text == "/")
        ):
            last = i  # "COCO 2017", "SemEval 2025 Task 5"
        elif (
            token.text == "/"
            and i + 1 < len(tokens)
            and tokens[i + 1].kind in ("num", "word")
            and (tokens[i + 1].kind == "num" or _name_like(tokens[i + 1], table))
        ):
            break  # "Kinetics-400/600": the caller splits alternatives
        else:
            break
        i += 1
    name_tokens = tokens[first : last + 1]
    name = _join(name_tokens)
    return name, name_tokens[0].start, name_tokens[-1].end, last + 1


def _dataset_list_at(tokens: list[_Token], index: int, table: Aliases) -> list[_Dataset]:
    """Datasets after a preposition: "CIFAR-10, CIFAR-100 and ImageNet", "Kinetics-400/600"."""
    found: list[_Dataset] = []
    i = index
    while True:
        parsed = _dataset_at(tokens, i, table)
        if parsed is None:
            break
        name, start, end, i = parsed
        found.append(_Dataset(name, start, end, index))
        # "Kinetics-400/600", "CIFAR10/100", "ImageNet-1K / ImageNet-1K-V2"
        while i + 1 < len(tokens) and tokens[i].text == "/":
            nxt = tokens[i + 1]
            last_word = name.rsplit(None, 1)
            if nxt.kind == "num":
                stem = re.sub(r"\d+$", "", name)
                found.append(_Dataset(stem + nxt.text, start, nxt.end, index))
                i += 2
            elif len(last_word) == 2 and _VERSION.fullmatch(last_word[1]) and _VERSION.fullmatch(nxt.text):
                # "Something-Something V1/V2": the second is the first's name with another version
                found.append(_Dataset(f"{last_word[0]} {nxt.text}", start, nxt.end, index))
                i += 2
            else:
                parsed = _dataset_at(tokens, i + 1, table)
                if parsed is None:
                    break
                name, start, end, i = parsed
                found.append(_Dataset(name, start, end, index))
        if i < len(tokens) and tokens[i].text in (",", "and", "&") and i + 1 < len(tokens):
            j = i + 1
            if tokens[j].text == "and":
                j += 1
            if j < len(tokens) and tokens[j].text.lower() in ("the",):
                j += 1
            if j < len(tokens) and _name_like(tokens[j], table):
                following = _dataset_at(tokens, j, table)
                if (
                    following is not None
                    and following[3] < len(tokens)
                    and _VERBS.match(tokens[following[3]].text)
                ):
                    break  # the subject of the next clause
                i = j
                continue
        break
    return found


# Lowercase words that may follow a dataset's name; any other plain word after a name makes the
# name a modifier ("in PD patients", "in the GRASP taxonomy", "Round 3 invitation quota"),
# too weak for a result that names no dataset of its own.
_NAME_FOLLOWERS = {
    "and", "or", "with", "while", "using", "to", "by", "for", "in", "on", "at", "of", "as", "from", "via",
    "than", "which", "that", "where", "when", "whereas", "is", "are", "was", "were", "has", "have", "had",
    "be", "but", "without", "after", "before", "through", "within", "among", "into", "across", "over",
    "under", "respectively", "both", "all", "its", "their", "we", "our", "it", "this", "these", "compared",
    "dataset", "datasets", "benchmark", "benchmarks", "corpus", "corpora", "suite", "leaderboard",
    "challenge", "task", "tasks", "data", "database", "collection", "subset", "subsets", "setting",
    "settings", "classification", "detection", "segmentation", "recognition", "retrieval", "generation",
    "translation", "captioning", "tracking", "estimation", "prediction", "evaluation", "experiments",
    "images", "scenes", "domain", "track", "leaderboards", "demonstrate", "show", "shows", "reveal",
}  # fmt: skip


_TASK_NOUNS = {
    "classification", "detection", "segmentation", "recognition", "retrieval", "generation", "translation",
    "captioning", "tracking", "estimation", "prediction", "answering", "reasoning", "understanding",
}  # fmt: skip


_DATA_NOUNS = {"dataset", "datasets", "benchmark", "benchmarks", "corpus", "set", "split", "series", "suite"}


def _modifies_noun(tokens: list[_Token], end: int) -> bool:
    """Whether the word after a name (ending at offset `end`) is a plain noun it modifies."""
    for index, token in enumerate(tokens):
        if token.start >= end:
            word = token.text
            if (
                token.kind != "word"
                or not word.islower()
                or word in _NAME_FOLLOWERS
                or word in _SPLIT_WORDS
                or _VERBS.match(word)
                or _is_head(token)
            ):
                return False
            # "COCO object detection", "URPC2019 underwater dataset", "EgoSchema blind test set":
            # a task or a dataset word a few words on, not a modified noun
            return not any(
                t.text in _TASK_NOUNS or t.text in _DATA_NOUNS for t in tokens[index + 1 : index + 4]
            )
    return False


_APPOSITIVE_ENDS = {
    "of", "with", "for", "on", "in", "that", "which", "to", "from", "by", "where", "and", "or", ",", ";", ".",
    ":", "(", ")", "using", "covering", "containing", "comprising", "spanning",
}  # fmt: skip


def _introduced_dataset(tokens: list[_Token], index: int, table: Aliases) -> _Dataset | None:
    """A name that an appositive calls a dataset: "BigTok, the first expert-annotated multimodal
    dataset of ...", "ReMMDBench, a real-world ... benchmark with 500 samples"."""
    parsed = _dataset_at(tokens, index, table)
    if parsed is None or parsed[3] + 1 >= len(tokens) or tokens[parsed[3]].text != ",":
        return None
    if tokens[parsed[3] + 1].text.lower() not in ("a", "an", "the", "our"):
        return None
    for token in tokens[parsed[3] + 2 : parsed[3] + 12]:
        word = token.text.lower()
        if word in ("dataset", "benchmark", "corpus"):
            return _Dataset(parsed[0], parsed[1], parsed[2], index)
        if word in _APPOSITIVE_ENDS:
            break
    return None


def _datasets_in(tokens: list[_Token], table: Aliases) -> list[_Dataset]:
    """Datasets a sentence names: after "on/in/for ...", or known names anywhere."""
    found: list[_Dataset] = []
    covered: set[int] = set()
    for i, token in enumerate(tokens):
        if token.kind == "word" and token.text.lower() in _DATASET_PREPOSITIONS and i + 1 < len(tokens):
            training = i > 0 and tokens[i - 1].text.lower() in _TRAINING_WORDS
            listed = _dataset_list_at(tokens, i + 1, table)
            modifier = bool(listed) and _modifies_noun(tokens, listed[-1].end)
            for dataset in listed:
                dataset.token = i + 1
                dataset.training = training
                dataset.strong = _strong_name(dataset.name, table) and not modifier
                found.append(dataset)
                covered.update(range(dataset.start, dataset.end))
    # "NAME, a/an/the/our ... dataset": the name a few tokens before such a comma
    for comma in range(1, len(tokens) - 1):
        if tokens[comma].text != "," or tokens[comma + 1].text.lower() not in ("a", "an", "the", "our"):
            continue
        for i in range(max(0, comma - 6), comma):
            token = tokens[i]
            if token.kind == "word" and token.start not in covered and _name_like(token, table):
                introduced = _introduced_dataset(tokens, i, table)
                if introduced is not None:
                    found.append(introduced)
                    covered.update(range(introduced.start, introduced.end))
                    break
    for i, token in enumerate(tokens):
        if (
            token.kind == "word"
            and token.start not in covered
            and not token.text.islower()
            and table.is_known_dataset(token.text)
            and len(token.text) > 2
        ):
            parsed = _dataset_at(tokens, i, table)
            if parsed is not None:
                found.append(_Dataset(parsed[0], parsed[1], parsed[2], i))
                covered.update(range(parsed[1], parsed[2]))
    found.sort(key=lambda d: d.start)
    return found


@dataclass(slots=True)
class _Value:
    index: int  # token index of the number
    value: float
    end: int  # token index after the number and its "%"


def _sentence_results(
    text: str,
    tokens: list[_Token],
    abstract: _Abstract,
    sentence_index: int,
    table: Aliases,
) -> list[ReportedResult]:
    results: list[ReportedResult] = []
    used: set[int] = set()
    sentence_datasets: list[str] = []
    last_metric: tuple[str, int, int] | None = None
    i = 0
    while i < len(tokens):
        if tokens[i].kind != "num" or i in used:
            i += 1
            continue
        chain = _value_chain(tokens, i)
        after = chain[-1].end
        for value in chain:
            used.add(value.index)
        metric = _metric_after(tokens, after)
        metric_first = False
        if metric is None:
            metric = _metric_before(tokens, chain[0].index)
            metric_first = metric is not None
        coordinated = False
        if (
            metric is None
            and last_metric is not None
            and _follows_coordination(tokens, chain[0].index, after)
        ):
            metric = last_metric
            coordinated = True
        if metric is None or _not_a_score(tokens, chain, metric, metric_first):
            i = after
            continue
        last_metric = metric
        metric_text, metric_start, metric_end = metric
        metric_names = _split_alternatives(metric_text)
        names = _datasets_for(
            tokens,
            chain,
            after if metric_first or coordinated else metric_end,
            metric_start,
            metric_end,
            abstract.datasets(sentence_index),
            abstract,
            sentence_index,
            sentence_datasets,
            table,
        )
        model = _model_for(tokens, chain[0].index, metric_start)
        if coordinated:
            metric_start, metric_end = chain[0].index, after
        span_start = min(tokens[chain[0].index].start, tokens[metric_start].start)
        span_end = max(tokens[after - 1].end, tokens[metric_end - 1].end)
        for position, value in enumerate(chain):
            dataset = _pick(names, position, len(chain))
            if dataset is None:
                continue
            name, d_start, d_end = dataset
            if d_start >= 0 and d_end - span_end < 80 and span_start - d_start < 80:
                evidence = text[min(span_start, d_start) : max(span_end, d_end)]
            else:
                evidence = text[span_start:span_end]
            metric_name = _pick_metric(metric_names, position, len(chain), len(names))
            results.append(
                ReportedResult(tidy_name(name), tidy_name(metric_name), value.value, evidence, model)
            )
            sentence_datasets.append(name)
        i = after
    return results


def _value_chain(tokens: list[_Token], index: int) -> list[_Value]:
    """A number and those coordinated with it: "82.9/84.8", "82.8%, 84.2%, and 84.6%"."""
    chain = []
    i = index
    while True:
        end = i + 1
        if end < len(tokens) and tokens[end].kind == "pct":
            end += 1
        chain.append(_Value(i, float(tokens[i].text.replace(",", "")), end))
        j = end
        if j < len(tokens) and tokens[j].text in ("/", ","):
            j += 1
        if j < len(tokens) and tokens[j].text in ("and", "&"):
            j += 1
        if j > end and j < len(tokens) and tokens[j].kind == "num":
            nxt_end = j + 1
            if nxt_end < len(tokens) and tokens[nxt_end].kind == "pct":
                nxt_end += 1
            if nxt_end < len(tokens) and _UNIT_AFTER.match(tokens[nxt_end].text):
                break
            i = j
            continue
        break
    return chain


def _metric_after(tokens: list[_Token], index: int) -> tuple[str, int, int] | None:
    """A metric phrase starting right after the number(s): "top-1 accuracy", "box AP"."""
    i = index
    # "83.3% vs. 80.8%) in top-1 accuracy": the comparison is skipped, the metric follows it.
    if i + 1 < len(tokens) and tokens[i].text.lower() in ("vs", "versus") and tokens[i + 1].text == ".":
        i += 1
    if (
        i < len(tokens)
        and tokens[i].text.lower() in ("vs", "versus", ".")
        and i + 1 < len(tokens)
        and tokens[i + 1].kind == "num"
    ):
        i += 2
        while i < len(tokens) and tokens[i].text in ("%", "\\%", ")", ","):
            i += 1
        if i < len(tokens) and tokens[i].text.lower() == "in":
            i += 1
        index = i
    head_end = None
    limit = min(len(tokens), index + 7)
    while i < limit:
        token = tokens[i]
        if _is_head(token):
            head_end = i + 1
            # "F1 score", "error rate", "mAP bbAP": take the following heads too
            while head_end < len(tokens) and (
                _is_head(tokens[head_end])
                or (
                    tokens[head_end].text == "/"
                    and head_end + 1 < len(tokens)
                    and _is_head(tokens[head_end + 1])
                )
            ):
                head_end += 1
            break
        lowered = token.text.lower()
        if token.kind == "word" and lowered in _MODIFIERS and lowered not in ("and", "or", "&"):
            i += 1
            continue
        if (
            token.kind == "word"
            and not token.text.islower()
            and i - index < 3
            and not _VERBS.match(token.text)
        ):
            i += 1  # a dataset written before the metric: "73.9% ImageNet top-1 accuracy"
            continue
        if token.text in ("-", "(") and i - index < 2:
            i += 1
            continue
        if token.text == "/" and i + 1 < limit and tokens[i + 1].kind == "word":
            i += 1  # "I2T/T2I retrieval accuracy", "mAP50:95/mAP50"
            continue
        break
    if head_end is None:
        return None
    # "score" or "rate" alone needs a qualifier: "F1 score", "success rate".
    start = index
    while start < head_end - 1 and tokens[start].text.lower() in ("a", "an", "the", "of", "-", "("):
        start += 1
    phrase = " ".join(t.text for t in tokens[start:head_end])
    if phrase.lower() in ("score", "scores", "rate", "return"):
        return None
    return phrase, start, head_end


def _metric_before(tokens: list[_Token], index: int) -> tuple[str, int, int] | None:
    """A metric phrase ending just before the number: "an FID of 1.24", "accuracy: 84%"."""
    if index >= 4 and tokens[index - 1].text.lower() == "to" and _has_from(tokens, index):
        # "the Top-1 accuracy of ResNet18 from 69.90% to 71.96%", "... from 42.4% to 55.3% pass@1"
        j = index - 2
        while j >= 0 and tokens[j].text.lower() != "from":
            j -= 1
        for k in range(j - 1, max(-1, j - 8), -1):
            if _is_head(tokens[k]):
                return (
                    _metric_before(tokens, k + 1) if tokens[k].text.lower() not in ("score", "rate") else None
                )
        return None
    i = index - 1
    if i >= 0 and tokens[i].text.lower() in (
        "of",
        "=",
        ":",
        "at",
        "is",
        "was",
        "reaches",
        "reaching",
        "to",
        "(",
    ):
        i -= 1
        if (
            i >= 0
            and tokens[i].text.lower() in ("score", "value", "rate")
            and i - 1 >= 0
            and _is_head(tokens[i - 1])
        ):
            i -= 1
        # "Word Error Rate (WER) of 1.27": the abbreviation in brackets names the metric
        if i >= 2 and tokens[i].text == ")" and tokens[i - 2].text == "(" and _is_head(tokens[i - 1]):
            i -= 1
    if i < 0 or not _is_head(tokens[i]):
        return None
    if i == index - 1 and tokens[i].text.lower() in ("score", "rate", "scores"):
        return None
    generic = tokens[i].text.lower() in ("score", "scores", "rate", "return")
    qualified = i > 0 and (
        _is_head(tokens[i - 1])
        or (
            tokens[i - 1].text.lower() in _MODIFIERS
            and tokens[i - 1].text.lower() not in ("a", "an", "the", "of", "new", "high", "best")
        )
    )
    if generic and not qualified:
        return None  # "a score of 72" names no metric
    head_end = i + 1
    start = i
    while (
        start - 1 >= 0
        and (
            _is_head(tokens[start - 1])
            or (
                tokens[start - 1].kind == "word"
                and tokens[start - 1].text.lower() in _MODIFIERS
                and tokens[start - 1].text.lower()
                not in ("a", "an", "the", "of", "and", "or", "&", "(", ")", "/")
            )
        )
        and index - start < 6
    ):
        start -= 1
    phrase = " ".join(t.text for t in tokens[start:head_end])
    return phrase, start, head_end


def _follows_coordination(tokens: list[_Token], index: int, after: int) -> bool:
    """ "... 75.8% success rate on AndroidWorld and 96.8% on ScreenSpot-V2": the metric is shared."""
    j = index - 1
    return (
        j >= 0
        and tokens[j].text in ("and", ",")
        and after < len(tokens)
        and tokens[after].text.lower() == "on"
    )


def _not_a_score(
    tokens: list[_Token], chain: list[_Value], metric: tuple[str, int, int], metric_first: bool
) -> bool:
    first = chain[0].index
    # Before the number: "by 2%", "over 80%", "+2.7", "from 35.6% (to ...)", "vs. 80.8%".
    before = tokens[first - 1] if first > 0 else None
    if (
        before is not None
        and first >= 2
        and before.text.lower() in _APPROXIMATELY
        and (_NOT_SCORE_BEFORE.match(tokens[first - 2].text) or _DELTA_VERB.match(tokens[first - 2].text))
    ):
        return True  # "by about 2.0 AP", "over roughly 80%"
    if before is not None and _DELTA_VERB.match(before.text):
        return True  # "GrowCLIP improves 2.3% average top-1 accuracy"
    if before is not None:
        word = before.text.lower().rstrip(".")
        if word == "to" and first >= 2:
            if _has_from(tokens, first):
                return not _improvement_before_from(tokens, first)
            return _bound_to(tokens, first)
        if _NOT_SCORE_BEFORE.match(word) and not (metric_first and word in ("of", "is")):
            if word == "from" and _range_continues(tokens, chain[-1].end):
                return _is_range(tokens, first)
            return True
        if (
            word in ("than", "of")
            and first >= 2
            and tokens[first - 2].text.lower()
            in ("more", "less", "margin", "improvement", "improvements", "gain", "gains")
        ):
            return True
        if (
            first >= 2
            and tokens[first - 2].text.lower()
            in (
                "up",
                "at",
                "more",
                "less",
                "greater",
                "improvement",
                "improvements",
                "gains",
                "gain",
                "by",
                "margin",
            )
            and word in ("to", "least", "most", "than", "of", "by", "up")
        ):
            return True
        if (
            word == "of"
            and first >= 2
            and tokens[first - 2].text.lower()
            in (
                "improvement",
                "improvements",
                "gain",
                "gains",
                "margin",
                "drop",
                "loss",
                "reduction",
                "increase",
                "boost",
            )
        ):
            return True
    # "(0.88 vs. 0.61 AUC ...)": the number after "vs." is the baseline's.
    if (
        before is not None
        and before.text == "."
        and first >= 2
        and tokens[first - 2].text.lower() in ("vs", "versus", "v.s")
    ):
        return True
    if metric_first:
        _, m_start, m_end = metric
        # "an average increase in the area under the curve (AUC) of 1.2%": a delta
        for j in range(max(0, m_start - 8), m_start - 1):
            if (
                tokens[j].text.lower() in _DELTA_NOUNS
                and tokens[j + 1].text.lower() in ("in", "of")
                and not any(t.kind == "num" for t in tokens[j:m_start])
            ):
                return True
        # "a maximum F1 score of 8.97", "at most 61.2% F1": bounds, not scores
        if m_start >= 1 and (
            tokens[m_start - 1].text.lower() in ("maximum", "max", "minimum", "min", "peak")
            or (
                m_start >= 2
                and tokens[m_start - 1].text.lower() == "most"
                and tokens[m_start - 2].text.lower() == "at"
            )
        ):
            return True
        for token in tokens[m_start:first]:
            if token.text.lower() in (
                "improvement",
                "improvements",
                "gain",
                "gains",
                "drop",
                "loss",
                "reduction",
                "increase",
                "boost",
                "degradation",
                "margin",
                "difference",
            ):
                return True
    # After the number(s) and metric: "+", "improvement", "higher than".
    after_number = chain[-1].end
    if after_number < len(tokens):
        nxt = tokens[after_number]
        if nxt.text in ("+", "-") and (
            after_number + 1 >= len(tokens) or tokens[after_number + 1].kind != "num"
        ):
            return True
        if _UNIT_AFTER.match(nxt.text) and not _is_head(nxt):
            return True
        if _DELTA_AFTER.match(nxt.text):
            return True
    _, _, m_end = metric
    look = m_end if not metric_first else after_number
    # "a 3.6% BLEU-4 and 3.8% F1 score improvement": the last word speaks for the list.
    k = look
    while k < len(tokens) and k < look + 8:
        t = tokens[k]
        if t.text == "," and k + 1 < len(tokens) and tokens[k + 1].text.endswith("ing"):
            break  # ", improving over the baseline by ...": a new clause, about another number
        if (
            t.kind in ("num", "pct")
            or _is_head(t)
            or t.text.lower() in ("and", ",", "/")
            or (t.kind == "word" and t.text.lower() in _MODIFIERS)
        ):
            k += 1
            continue
        if _DELTA_AFTER.match(t.text) and t.text.lower() != "over" and k > look:
            return True
        break
    for token in tokens[look : look + 2]:
        if token.text == ",":
            break
        if _DELTA_AFTER.match(token.text) and token.text.lower() not in ("over",):
            return True
        if (
            token.text.lower() in ("over", "than")
            and look < len(tokens)
            and tokens[look].text.lower() in ("over", "than", "higher", "better")
        ):
            return True
    # A number in a baseline's parenthesis: "as fast as MobileNetV2 (1.6 ms, 74.7% top-1)".
    depth = 0
    for j in range(first - 1, max(-1, first - 12), -1):
        mark = tokens[j].text
        if mark == ")":
            depth += 1
        elif mark == "(":
            if depth == 0:
                window = " ".join(x.text for x in tokens[max(0, j - 8) : j])
                if re.search(
                    r"\bas\s+(?:fast|good|accurate)\s+as\b|\bthan\b|\bcompared\b|\bvs\b", window, re.I
                ):
                    return True
                # "outperforms the method of Delplanque (0.934 AP on ...)": the beaten one's number
                # (not "outperforms X by 2.5% (83.3% vs. 80.8%)", where the bracket follows the gap)
                if (
                    j > 0
                    and tokens[j - 1].kind == "word"
                    and re.search(r"\b(?:outperform|surpass|beat|exceed)\w*\b", window, re.I)
                ):
                    return True
                break
            depth -= 1
    # A range: "67.2% to 80.0%", "98-99%".
    if (
        after_number < len(tokens)
        and tokens[after_number].text in ("-", "–", "~", "to")
        and after_number + 1 < len(tokens)
        and tokens[after_number + 1].kind == "num"
    ):
        return True
    # A subject that is not the paper's own: "previous methods achieve 80%".
    clause_start = first
    while (
        clause_start > 0
        and tokens[clause_start - 1].text not in (",", ";", ":")
        and first - clause_start < 14
    ):
        clause_start -= 1
    # "performance drops significantly on L3 to Pass@1 = 49.4%": a weakness shown, not a score
    # claimed (unless the metric is one where lower is better: "WER drops to 2.1%")
    _, m_start, m_end = metric
    if any(_DECLINE.match(t.text) for t in tokens[clause_start:first]) and not any(
        _LOWER_IS_BETTER.match(t.text) for t in tokens[m_start:m_end]
    ):
        return True
    verb = next((j for j in range(clause_start, first) if _VERBS.match(tokens[j].text)), first)
    subject = " ".join(t.text for t in tokens[clause_start:verb])
    return bool(_BASELINE_SUBJECT.search(subject)) and not re.search(
        r"\b(?:our|we|ours|proposed)\b", subject, re.I
    )


def _has_from(tokens: list[_Token], index: int) -> bool:
    """ "from 35.6% to 46.7%": the number after "to" follows a "from NUMBER"."""
    j = index - 2
    if j >= 0 and tokens[j].kind == "pct":
        j -= 1
    return j >= 1 and tokens[j].kind == "num" and tokens[j - 1].text.lower() == "from"


def _improvement_before_from(tokens: list[_Token], index: int) -> bool:
    """ "improves the accuracy of ResNet-50 from 35.6% to 46.7%" (a result) and not "accuracy from
    67.2% to 80.0% on ImageNet from 60M to 800M FLOPs" (a range over models)."""
    for j in range(index - 1, max(-1, index - 16), -1):
        if tokens[j].text in (".", ";") or tokens[j].text.lower() in (
            "ranging",
            "range",
            "ranges",
            "between",
        ):
            return False  # "gains ranging from 5.24 to 10.94": a range
        if (
            j > 0
            and _is_head(tokens[j - 1])
            and tokens[j].text.lower().rstrip("s") in ("gain", "increase", "boost")
        ):
            continue  # "accuracy gains": a noun, not the verb of an improvement
        if _DELTA_VERB.match(tokens[j].text) or tokens[j].text.lower() in (
            "enhances",
            "pushes",
            "elevates",
            "elevating",
            "rising",
            "rises",
            "rose",
            "climbing",
            "climbs",
            "jumping",
            "jumps",
        ):
            return True
    return False


def _bound_to(tokens: list[_Token], index: int) -> bool:
    """ "up to 85%" is a bound; "improves X to 85%" is a score."""
    return index >= 2 and tokens[index - 2].text.lower() in ("up", "close", "equal", "comparable", "similar")


def _range_continues(tokens: list[_Token], index: int) -> bool:
    return index < len(tokens) and tokens[index].text.lower() == "to"


def _is_range(tokens: list[_Token], index: int) -> bool:
    return True


def _split_alternatives(metric: str) -> list[str]:
    """ "mAP50:95 / mAP50" -> two metrics; "I2T / T2I retrieval accuracy" -> two with the shared rest."""
    words = metric.split(" ")
    if "/" in words[1:-1]:
        position = words.index("/")
        left, right = words[position - 1], words[position + 1]
        prefix, rest = words[: position - 1], words[position + 2 :]
        return [" ".join([*prefix, left, *rest]), " ".join([*prefix, right, *rest])]
    return [metric]


def _pick_metric(metrics: list[str], position: int, values: int, datasets: int) -> str:
    if len(metrics) == 1:
        return metrics[0]
    # "60.60%/80.12% mAP50:95/mAP50 on HCCB and 57.36%/74.65% on SCB": metrics cycle over values.
    return metrics[position % len(metrics)]


def _pick(names: list[tuple[str, int, int]], position: int, count: int) -> tuple[str, int, int] | None:
    if not names:
        return None
    if len(names) == 1:
        return names[0]
    if count == len(names):
        return names[position]
    if count % len(names) == 0:
        return names[position // (count // len(names))]
    return names[min(position, len(names) - 1)] if count > len(names) else names[0]


def _datasets_for(
    tokens: list[_Token],
    chain: list[_Value],
    after: int,
    metric_start: int,
    metric_end: int,
    datasets: list[_Dataset],
    abstract: _Abstract,
    sentence_index: int,
    sentence_results: list[str],
    table: Aliases,
) -> list[tuple[str, int, int]]:
    """The dataset(s) a number is reported on, nearest evidence first."""
    # 1. "... on DATASET(S)" right after the metric; settings and coordinated results may sit
    # between ("53.9 box AP and 46.4 mask AP on COCO", "accuracy of 85% in the ... setting on X").
    i = after
    steps = 0
    while i < len(tokens) and steps < 12:
        token = tokens[i]
        word = token.text.lower()
        if word in ("on", "in", "for", "across") and token.kind == "word":
            found = _dataset_list_at(tokens, i + 1, table)
            if found:
                return [(d.name, d.start, d.end) for d in found]
            if word == "on":
                break
            if any(t.kind == "num" for t in tokens[i + 1 : i + 5]):
                break  # "94.8% for depression and 96.2% for PTSD": what follows is another number's
        elif (
            (word in ("and", ",", "/") and any(t.kind == "num" for t in tokens[i + 1 : i + 6]))
            # "an IS of 13.7 and 12.8, and an FID of 52.3 and 60.3, on COCO and Visual Genome"
            or (word == "," and i + 1 < len(tokens) and tokens[i + 1].text.lower() in ("on", "across"))
            or word in ("a", "an", "of", "respectively")
            or token.kind in ("num", "pct")
            or _is_head(token)
            or word in _MODIFIERS
        ):
            pass
        elif word in (
            ";",
            ".",
            "with",
            "while",
            "using",
            "surpassing",
            "outperforming",
            "which",
            "than",
            "compared",
            "and",
            ",",
            ":",
            "surpasses",
            "outperforms",
            "but",
        ):
            break
        i += 1
        steps += 1
    # 2. A dataset written inside or just before the metric: "an ImageNet accuracy of", "ADE20K mIoU".
    low = tokens[min(chain[0].index, metric_start)].start
    high = tokens[max(after, metric_end) - 1].end
    before_metric = tokens[metric_start - 1].end if metric_start > 0 else -1
    for dataset in datasets:
        inside = low <= dataset.start and dataset.end <= high
        if inside or dataset.end == before_metric:
            return [(dataset.name, dataset.start, dataset.end)]
    first = min(chain[0].index, metric_start)
    usable = [d for d in datasets if not d.training]
    # "on ADE20K with 55.7 mIoU", "on CIFAR-10: 97.1% accuracy": the name right before.
    for d in usable:
        if (
            first >= 2
            and d.end == tokens[first - 2].end
            and tokens[first - 1].text.lower() in ("with", ":", "(", "at", "of", ",")
        ):
            return [(d.name, d.start, d.end)]
        if (
            first >= 3
            and d.end == tokens[first - 3].end
            and tokens[first - 2].text.lower() in ("with", "at")
            and (tokens[first - 1].text.lower() in ("a", "an"))
        ):
            return [(d.name, d.start, d.end)]
    # 3. The dataset of the sentence's previous result, else the nearest one named before.
    earlier = [d for d in usable if d.end <= tokens[first].start]
    for d in reversed(earlier):
        if d.name in sentence_results:
            return [(d.name, d.start, d.end)]
    strong_earlier = [d for d in earlier if d.strong]
    if strong_earlier:
        d = strong_earlier[-1]
        return [(d.name, d.start, d.end)]
    if earlier or any(d.start >= tokens[first].start for d in datasets) or any(d.training for d in datasets):
        return []  # the sentence names another dataset for something else: too loose to tie
    if _VAGUE_REFERENCE.search(" ".join(t.text for t in tokens)):
        return []  # "on these benchmarks", "on our dataset": named elsewhere, if at all
    # 4. The sentence that set up the evaluation, or the one dataset of the whole abstract.
    strong_previous = [d for d in abstract.previous_datasets(sentence_index) if d.strong and not d.training]
    if strong_previous:
        d = strong_previous[-1]
        return [(d.name, -1, -1)]
    only_dataset = abstract.only_dataset()
    if only_dataset is not None:
        return [(only_dataset, -1, -1)]
    return []


def _model_for(tokens: list[_Token], first: int, metric_start: int) -> str | None:
    """The model a number belongs to: the named subject of the verb before it ("RMT achieves")."""
    start = min(first, metric_start)
    for j in range(start - 1, max(-1, start - 10), -1):
        token = tokens[j]
        if token.text in (".", ";"):
            return None
        if token.kind == "word" and _VERBS.match(token.text):
            k = j - 1
            if k >= 0 and tokens[k].text.lower() in ("which", "that", "can", "also", "further", ","):
                k -= 1
            if k >= 0 and tokens[k].text == ",":
                k -= 1
            if k >= 0 and tokens[k].text.lower() in ("model", "method", "variant", "network"):
                k -= 1
            if (
                k >= 0
                and tokens[k].kind == "word"
                and not tokens[k].text.islower()
                and (tokens[k].text.lower() not in _NOT_DATASET or tokens[k].text.lower() in ("transformer",))
            ):
                return tokens[k].text
            return None
        if token.kind == "word" and token.text.lower() == "with" and j + 1 < len(tokens):
            continue
    return None
