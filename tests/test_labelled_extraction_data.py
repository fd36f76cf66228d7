"""Schema checks for the hand-labelled extraction set (tests/data/extraction/labelled.jsonl).

The labels themselves follow docs/labelling-guide.md; these tests only keep the file well formed.
"""

import json
import re
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data" / "extraction" / "labelled.jsonl"

FIELDS = {
    "key": str,
    "split": str,
    "source": str,
    "title": str,
    "abstract": str,
    "code_urls": list,
    "project_urls": list,
    "code_promised": bool,
    "results": list,
}
RESULT_FIELDS = {"dataset", "metric", "value", "text", "model"}
NUMBER = re.compile(r"\d+(?:\.\d+)?")
CODE_HOSTS = (
    "github.com/",
    "gitlab.com/",
    "gitee.com/",
    "bitbucket.org/",
    "codeberg.org/",
    "huggingface.co/",
)


def _collapse(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def items() -> list[dict]:
    with DATA.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def test_sizes_and_unique_keys(items: list[dict]) -> None:
    keys = [item["key"] for item in items]
    assert len(keys) == len(set(keys))
    splits = [item["split"] for item in items]
    assert splits.count("dev") >= 90
    assert splits.count("test") >= 40


def test_no_duplicate_papers(items: list[dict]) -> None:
    titles = [_collapse(item["title"]).lower() for item in items]
    assert len(titles) == len(set(titles))


def test_item_schema(items: list[dict]) -> None:
    for item in items:
        key = item["key"]
        assert set(item) == set(FIELDS) | {"comment"}, key
        for field, kind in FIELDS.items():
            assert isinstance(item[field], kind), (key, field)
        assert item["comment"] is None or isinstance(item["comment"], str), key
        assert item["split"] in ("dev", "test"), key
        assert item["abstract"].strip(), key
        if key.startswith("seeds-"):
            assert re.fullmatch(r"seeds-\d{3}-\d+", key), key
            assert re.fullmatch(r"seeds/\d{3}_[0-9a-f]+\.txt:line \d+", item["source"]), key
            assert item["source"][6:9] == key[6:9], key
        else:
            assert key.startswith("arxiv-"), key
            assert item["source"] == "arxiv:" + key[len("arxiv-") :], key


def test_seed_file_003_is_test_only(items: list[dict]) -> None:
    for item in items:
        if item["key"].startswith("seeds-003-"):
            assert item["split"] == "test", item["key"]


def test_urls_are_normalised(items: list[dict]) -> None:
    for item in items:
        for url in item["code_urls"]:
            assert url == url.lower(), (item["key"], url)
            assert url.startswith(CODE_HOSTS), (item["key"], url)
            assert not url.startswith("huggingface.co/datasets/"), (item["key"], url)
            assert "/tree/" not in url and "/blob/" not in url and not url.endswith(".git"), url
        assert len(item["code_urls"]) == len(set(item["code_urls"])), item["key"]
        for url in item["code_urls"] + item["project_urls"]:
            assert "://" not in url and not url.startswith("www."), (item["key"], url)
            assert not url.endswith(("/", ".", ",", ")", "}")), (item["key"], url)
            assert "{" not in url and " " not in url, (item["key"], url)
        if item["code_promised"]:
            assert not item["code_urls"] and not item["project_urls"], item["key"]


def test_results(items: list[dict]) -> None:
    for item in items:
        abstract = _collapse(item["abstract"])
        for result in item["results"]:
            key = item["key"]
            assert set(result) == RESULT_FIELDS, key
            assert isinstance(result["dataset"], str) and result["dataset"].strip(), key
            assert isinstance(result["metric"], str) and result["metric"].strip(), key
            assert isinstance(result["text"], str) and result["text"].strip(), key
            assert result["model"] is None or isinstance(result["model"], str), key
            value = result["value"]
            assert isinstance(value, (int, float)) and not isinstance(value, bool), key
            assert _collapse(result["text"]) in abstract, (key, result["text"])
            numbers = [float(n) for n in NUMBER.findall(result["text"].replace(",", ""))]
            assert float(value) in numbers, (key, value, result["text"])
