"""Measure code-link and result extraction against the hand-labelled set, and its cost at import.

Why: `papersift.extract` runs on every imported paper, so it must be right (code links F1 >= 0.95,
results F1 >= 0.70 on held-out abstracts) and cheap (<= 10% of import time, which is about 0.17 ms
a record: so about 15 µs a record for both halves). Both are measured as import runs them: code
links on the raw abstract and the comment, results on the clean abstract. The labelled set is
tests/data/extraction/labelled.jsonl (guide: docs/labelling-guide.md); tune on split "dev" only,
report "test" as it comes out.

Scoring (micro P/R/F1 over items):
- code links: a predicted `host/owner/repo` is right when it equals a labelled one exactly;
- results: a predicted result is right when its value equals a labelled value (|diff| < 1e-9) and
  its canonical dataset equals that label's canonical dataset (both through the same Aliases);
  each label is matched at most once.

Run: .venv/bin/python bench/bench_extract.py [--errors] [--records N] [--data PATH] [--quick]
(about a minute: the throughput pass reads the 74,728 shared arXiv records once).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from _common import ARXIV_FILE, REPO, add_data_argument, quick_note

from papersift.extract import Aliases, Extraction, canonical_results, find_code_links, find_results
from papersift.extract.aliases import default_aliases
from papersift.text import clean_text

LABELLED = REPO / "tests" / "data" / "extraction" / "labelled.jsonl"


def extract_as_imported(abstract: str, comment: str | None, aliases: Aliases) -> Extraction:
    """What import finds (`Library._with_extraction`): code links in the raw abstract and the
    comment, results in the clean abstract (`papersift.text.clean_text`), made canonical."""
    code = find_code_links(abstract, comment)
    results = find_results(clean_text(abstract), aliases) if abstract else ()
    return Extraction(code, canonical_results(results, aliases))


class Counts:
    def __init__(self) -> None:
        self.tp = self.fp = self.fn = 0

    def add(self, tp: int, fp: int, fn: int) -> None:
        self.tp += tp
        self.fp += fp
        self.fn += fn

    def prf(self) -> tuple[float, float, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return p, r, f

    def row(self) -> str:
        p, r, f = self.prf()
        return f"P {p:.3f} R {r:.3f} F1 {f:.3f} (tp {self.tp} fp {self.fp} fn {self.fn})"


def match_results(
    predicted: list[tuple[str, float]], labelled: list[tuple[str, float]]
) -> tuple[int, list[tuple[str, float]], list[tuple[str, float]]]:
    """Greedy one-to-one matching on (canonical dataset, value); returns tp, false positives, misses."""
    remaining = list(labelled)
    wrong = []
    tp = 0
    for dataset, value in predicted:
        for index, (label_dataset, label_value) in enumerate(remaining):
            if label_dataset == dataset and abs(label_value - value) < 1e-9:
                del remaining[index]
                tp += 1
                break
        else:
            wrong.append((dataset, value))
    return tp, wrong, remaining


def evaluate(items: list[dict[str, Any]], aliases: Aliases) -> tuple[Counts, Counts, Counts, list[str]]:
    code, pages, results = Counts(), Counts(), Counts()
    errors: list[str] = []
    for item in items:
        extraction = extract_as_imported(item["abstract"], item.get("comment"), aliases)
        predicted_code = list(extraction.code.code_urls)
        labelled_code = list(item["code_urls"])
        tp = len(set(predicted_code) & set(labelled_code))
        code.add(tp, len(set(predicted_code)) - tp, len(set(labelled_code)) - tp)
        predicted_pages = set(extraction.code.project_urls)
        labelled_pages = set(item["project_urls"])
        pages.add(
            len(predicted_pages & labelled_pages),
            len(predicted_pages - labelled_pages),
            len(labelled_pages - predicted_pages),
        )
        if set(predicted_code) != set(labelled_code) or predicted_pages != labelled_pages:
            errors.append(
                f"{item['key']}: code {predicted_code} pages {sorted(predicted_pages)}; "
                f"labelled {labelled_code} {sorted(labelled_pages)}"
            )
        if extraction.code.promised != item["code_promised"]:
            errors.append(
                f"{item['key']}: promised {extraction.code.promised}, labelled {item['code_promised']}"
            )
        predicted = [(r.dataset, r.value) for r in extraction.results]
        labelled = [(aliases.dataset(r["dataset"]), float(r["value"])) for r in item["results"]]
        tp, wrong, missed = match_results(predicted, labelled)
        results.add(tp, len(wrong), len(missed))
        for dataset, value in wrong:
            evidence = next(
                (r.text for r in extraction.results if r.dataset == dataset and r.value == value), ""
            )
            errors.append(f"{item['key']}: FP {dataset} = {value}  [{' '.join(evidence.split())}]")
        for dataset, value in missed:
            label = next((r for r in item["results"] if float(r["value"]) == value), {})
            errors.append(
                f"{item['key']}: FN {dataset} = {value} ({label.get('metric')})  "
                f"[{' '.join(str(label.get('text', '')).split())}]"
            )
    return code, pages, results, errors


def arxiv_records(path: Path, limit: int | None) -> Iterable[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            if limit is not None and number >= limit:
                break
            yield json.loads(line)


def throughput(path: Path, limit: int | None, aliases: Aliases) -> dict[str, float]:
    """Extraction as import runs it (results on the clean abstract, cleaned beforehand: import
    cleans it anyway), and each half apart."""
    records = [
        (abstract, clean_text(abstract), r.get("comment"))
        for r in arxiv_records(path, limit)
        for abstract in [r.get("abstract") or ""]
    ]
    with_code = with_results = 0
    started = time.perf_counter()
    for abstract, clean, comment in records:
        code = find_code_links(abstract, comment)
        results = find_results(clean, aliases) if clean else ()
        with_code += bool(code.code_urls)
        with_results += bool(results)
    elapsed = time.perf_counter() - started
    # The two halves apart, to see which one costs.
    started = time.perf_counter()
    for abstract, _, comment in records:
        find_code_links(abstract, comment)
    code_elapsed = time.perf_counter() - started
    started = time.perf_counter()
    for _, clean, _ in records:
        find_results(clean, aliases)
    results_elapsed = time.perf_counter() - started
    return {
        "records": len(records),
        "seconds": elapsed,
        "per_second": len(records) / elapsed,
        "us_per_record": 1e6 * elapsed / len(records),
        "code_links_us": 1e6 * code_elapsed / len(records),
        "results_us": 1e6 * results_elapsed / len(records),
        "with_code": with_code,
        "with_results": with_results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--labelled", type=Path, default=LABELLED)
    parser.add_argument("--errors", action="store_true", help="list the dev split's errors")
    parser.add_argument("--records", type=int, default=None, help="only the first N arXiv records")
    parser.add_argument("--no-throughput", action="store_true")
    parser.add_argument("--quick", action="store_true", help="smoke test: throughput over 2,000 records")
    add_data_argument(parser)
    args = parser.parse_args()
    if args.quick:
        quick_note()
        args.records = args.records or 2_000

    aliases = default_aliases()
    items = [
        json.loads(line) for line in args.labelled.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    splits = {name: [i for i in items if i["split"] == name] for name in ("dev", "test")}
    scored = {name: evaluate(split, aliases) for name, split in splits.items()}
    print(f"labelled: {args.labelled}  (alias table {aliases.digest()})")
    print(f"{'':14}{'dev (' + str(len(splits['dev'])) + ' items)':56}test ({len(splits['test'])} items)")
    for index, label in enumerate(("code links", "project pages", "results")):
        dev_row = scored["dev"][index].row()  # type: ignore[attr-defined]
        test_row = scored["test"][index].row()  # type: ignore[attr-defined]
        print(f"{label:14}{dev_row:56}{test_row}")
    if args.errors:
        print("\ndev errors:")
        for line in scored["dev"][3]:
            print("  " + line)
    if not args.no_throughput:
        path = args.data / ARXIV_FILE
        if not path.exists():
            sys.exit(f"missing {path}: pass --data or set PAPERSIFT_SHARED_DATA")
        figures = throughput(path, args.records, aliases)
        print(
            f"\nthroughput over {figures['records']:,} arXiv records: "
            f"{figures['per_second']:,.0f} records/s, "
            f"{figures['seconds']:.2f} s total, {figures['us_per_record']:.1f} µs/record "
            f"(code links {figures['code_links_us']:.1f} µs, results {figures['results_us']:.1f} µs); "
            f"{figures['with_code']:,} records with code links, {figures['with_results']:,} with results"
        )


if __name__ == "__main__":
    main()
