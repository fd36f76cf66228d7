"""CLI cold start: how long a fresh `papersift search --mode keyword` takes to its first hits.

Why: issue 15. Every command paid for ONNX Runtime, SciPy, FastAPI... whether it needed them or not:
`papersift search` in a fresh process took 2.7-7.0 s on this 2-core machine under load, `import
papersift` alone 1-3 s. The target is <= 1 s to the first keyword hits on the 75k library on a quiet
machine. This script compares two source trees side by side (the code before a change and after),
with the same interpreter and virtualenv: each child process gets `PYTHONPATH=<tree>`, which comes
before the editable install's .pth entry on `sys.path`, so `import papersift` finds that tree (the
script checks it does, for each tree, before measuring). The `papersift` console script honours it
too (it is a Python script that does `from papersift.cli import main`), so the children run exactly
what a user types:

  search   python <venv>/bin/papersift --db DB search --mode keyword "graph neural networks"
           timed from the start of the process to its first byte of output (the hits; the child
           runs with PYTHONUNBUFFERED=1) and to its exit
  import   python -c "import papersift.cli"

Each command runs once per tree as a warm-up (writes the .pyc files of a freshly unpacked tree, and
builds the keyword index beside the database if it is missing or stale; not counted), then N rounds
alternating the trees (A B A B ...) so that a change in machine load hits both alike. The 1-minute
load average (/proc/loadavg) is recorded before every run and printed with the figures: on a busy
machine the figures are noise. Printed: median, min and max of each, the ratio after/before, then
the top entries of `python -X importtime` (by cumulative time) of the search in the after tree, and
which heavy imports each papersift module pulls in first (the candidates for lazy imports).

The children run with default settings: every PAPERSIFT_* variable of this environment is removed
(so the embedding model is the packaged default, as for a user; keyword mode must not need it).
Only the --quick library is built with PAPERSIFT_EMBEDDING_MODEL=none.

Run:   .venv/bin/python bench/bench_cli_start.py --db /tmp/perf/arxiv75k.db
           [--before /tmp/before/src] [--after src] [--rounds 10] [--query "graph neural networks"]
           [--top 15] [--json PATH]
       --before/--after: `src` folders (the folder holding `papersift/`); without --before only the
       after tree (default: this repository's src) is measured. The "before" tree of issue 15:
           mkdir -p /tmp/before && git archive ed6b8d9 | tar -x -C /tmp/before
       --db: a library (keyword-only is enough), e.g. the 75k crawl built with
           PAPERSIFT_EMBEDDING_MODEL=none papersift --db /tmp/perf/arxiv75k.db ingest --no-embed \\
               ../shared/data/arxiv/arxiv-cs-2025-03_2026-07.jsonl.gz
       --quick: 2 rounds on a library of 300 demo papers built in a temporary folder (a smoke test
       of the script, not a measurement).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEMO_FILE = "papersift/data/demo.jsonl.gz"  # inside a src tree
QUICK_PAPERS = 300
QUERY = "graph neural networks"
MAIN = "import sys; from papersift.cli import main; sys.exit(main())"


def loadavg() -> float:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return float("nan")


def child_env(tree: Path, settings: dict[str, str] | None = None) -> dict[str, str]:
    """This environment without PAPERSIFT_* (default settings), the tree first on the path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERSIFT_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # the warm-up writes the tree's .pyc files
    env["PYTHONPATH"] = str(tree)
    env["PYTHONUNBUFFERED"] = "1"  # the hits reach the pipe when printed, not at exit
    env.update(settings or {})
    return env


def cli_command(python: str) -> list[str]:
    """How to run `papersift`: the console script beside the interpreter, else `python -c`."""
    script = Path(python).with_name("papersift")
    if script.is_file():
        return [python, str(script)]
    return [python, "-c", MAIN]


@dataclass
class Run:
    first: float  # seconds to the first byte on stdout (or to its end, if none)
    exit: float  # seconds to the exit
    load: float  # 1-minute load average just before


@dataclass
class Series:
    tree: str
    command: str
    runs: list[Run] = field(default_factory=list)

    def stat(self, what: str) -> dict[str, float]:
        values = [getattr(run, what) for run in self.runs]
        return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def timed(command: list[str], env: dict[str, str]) -> tuple[Run, str, str]:
    """Run `command` to its exit; the times, its stdout and stderr. Exits the script if it fails."""
    load = loadavg()
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert child.stdout is not None
    head = os.read(child.stdout.fileno(), 1)  # blocks until the first output (or EOF)
    first = time.perf_counter() - started
    rest, errors = child.communicate()
    ended = time.perf_counter() - started
    out = (head + rest).decode(errors="replace")
    if child.returncode != 0:
        failed = f"failed (exit {child.returncode}): {' '.join(command)}"
        sys.exit(f"{failed}\n{out[-2000:]}{errors.decode(errors='replace')[-3000:]}")
    return Run(first, ended, load), out, errors.decode(errors="replace")


def check_tree(python: str, tree: Path) -> None:
    """The children of this tree import papersift from it, not from the editable install."""
    if not (tree / "papersift" / "__init__.py").is_file():
        sys.exit(f"{tree} is not a src folder: no papersift/__init__.py in it")
    found = subprocess.run(
        [python, "-c", "import papersift; print(papersift.__file__)"],
        env=child_env(tree),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not Path(found).resolve().is_relative_to(tree.resolve()):
        sys.exit(f"PYTHONPATH={tree} imports papersift from {found}, not from the tree")


def build_quick_library(python: str, tree: Path, folder: Path) -> Path:
    """A keyword-only library of the first QUICK_PAPERS demo papers, built with `tree`."""
    source = tree / DEMO_FILE
    if not source.exists():
        source = REPO / "src" / DEMO_FILE
    papers = folder / f"demo-first-{QUICK_PAPERS}.jsonl.gz"
    with gzip.open(source, "rb") as lines, gzip.open(papers, "wb", compresslevel=1) as out:
        for number, line in enumerate(lines):
            if number >= QUICK_PAPERS:
                break
            out.write(line)
    db = folder / "quick.db"
    command = [*cli_command(python), "--db", str(db), "ingest", str(papers)]
    timed(command, child_env(tree, {"PAPERSIFT_EMBEDDING_MODEL": "none"}))
    return db


# -- -X importtime ------------------------------------------------------------------------------


@dataclass
class Node:
    name: str
    depth: int
    self_us: int
    cumulative_us: int
    parent: Node | None = None


def parse_importtime(stderr: str) -> list[Node]:
    """The `-X importtime` lines as a tree (they come children first, indented two spaces a level)."""
    nodes: list[Node] = []
    pending: list[Node] = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        own, cumulative, name = line[len("import time:") :].split("|", 2)
        stripped = name.lstrip(" ")
        node = Node(stripped, (len(name) - len(stripped) - 1) // 2, int(own), int(cumulative))
        while pending and pending[-1].depth > node.depth:
            pending.pop().parent = node
        pending.append(node)
        nodes.append(node)
    return nodes


def is_papersift(name: str) -> bool:
    return name == "papersift" or name.startswith("papersift.")


def chain(node: Node | None) -> str:
    names = []
    while node is not None:
        names.append(node.name)
        node = node.parent
    return " < ".join(names)


def heavy_imports(nodes: list[Node]) -> list[tuple[str, str, int]]:
    """(package, the papersift module that first imports it, cumulative us), heaviest first: each
    non-papersift import made directly by a papersift module, summed by top-level package."""
    totals: dict[tuple[str, str], int] = {}
    for node in nodes:
        if is_papersift(node.name) or node.parent is None or not is_papersift(node.parent.name):
            continue
        key = (node.name.split(".")[0], node.parent.name)
        totals[key] = totals.get(key, 0) + node.cumulative_us
    return sorted(((pkg, by, us) for (pkg, by), us in totals.items()), key=lambda row: -row[2])


def print_importtime(nodes: list[Node], top: int, total_s: float) -> None:
    print(f"\n-X importtime of the search in the after tree (process took {total_s:.2f} s):")
    print(f"  top {top} by cumulative time")
    print(f"  {'cumulative':>10} {'self':>8}  module")
    for node in sorted(nodes, key=lambda n: -n.cumulative_us)[:top]:
        times = f"{node.cumulative_us / 1000:8.0f}ms {node.self_us / 1000:6.0f}ms"
        print(f"  {times}  {'  ' * node.depth}{node.name}")
    roots = sum(node.cumulative_us for node in nodes if node.parent is None)
    print(f"  all imports: {roots / 1e6:.2f} s")
    print(f"\n  heavy imports by the papersift module that first pulls them in (top {top}):")
    print(f"  {'cumulative':>10}  {'package':<24} first imported by (< its importers)")
    by_name = {node.name: node for node in nodes}
    for package, importer, us in heavy_imports(nodes)[:top]:
        print(f"  {us / 1000:8.0f}ms  {package:<24} {chain(by_name.get(importer)) or importer}")


# -- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--before", type=Path, help="the src folder of the code before (optional)")
    parser.add_argument(
        "--after", type=Path, default=REPO / "src", help="the src folder after (default: ./src)"
    )
    parser.add_argument("--db", type=Path, help="the library to search (required unless --quick)")
    parser.add_argument("--rounds", type=int, default=10, help="measured runs per tree and command")
    parser.add_argument("--query", default=QUERY)
    parser.add_argument("--top", type=int, default=15, help="entries of the -X importtime tables")
    parser.add_argument("--python", default=sys.executable, help="the interpreter of the children")
    parser.add_argument("--quick", action="store_true", help="2 rounds on 300 demo papers (a smoke test)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if args.quick:
        args.rounds = min(args.rounds, 2)
    elif args.db is None:
        parser.error("--db is required (or --quick)")

    trees = {"before": args.before, "after": args.after} if args.before else {"after": args.after}
    trees = {label: tree.resolve() for label, tree in trees.items()}
    for tree in trees.values():
        check_tree(args.python, tree)

    with tempfile.TemporaryDirectory(prefix="papersift-cli-start-") as folder:
        db = args.db
        if args.quick:
            db = build_quick_library(args.python, next(iter(trees.values())), Path(folder))
        elif not db.exists():
            sys.exit(f"no library at {db}")
        commands = {
            "search": [*cli_command(args.python), "--db", str(db), "search", "--mode", "keyword", args.query],
            "import": [args.python, "-c", "import papersift.cli"],
        }
        print(f"library {db}; query {args.query!r}; {args.rounds} rounds; python {args.python}")
        for label, tree in trees.items():
            print(f"  {label}: {tree}")
        print(f"load average at the start: {Path('/proc/loadavg').read_text().strip()}")

        series = {(label, name): Series(label, name) for name in commands for label in trees}
        hits = {}
        for label, tree in trees.items():  # warm-up: .pyc files, the keyword index, the page cache
            for name, command in commands.items():
                run, out, _ = timed(command, child_env(tree))
                if name == "search":
                    hits[label] = sum(1 for line in out.splitlines() if line.strip())
                print(f"  warm-up {label} {name}: {run.exit:.2f} s")
        for number in range(args.rounds):
            for name, command in commands.items():
                for label, tree in trees.items():
                    run, _, _ = timed(command, child_env(tree))
                    series[label, name].runs.append(run)
            line = "  ".join(
                f"{label} {name} {series[label, name].runs[-1].exit:.2f}"
                for name in commands
                for label in trees
            )
            print(f"  round {number + 1}: {line} s (load {loadavg():.2f})")

        header = f"{'tree':<7} {'command':<7} {'to':<6} {'median':>7} {'min':>7} {'max':>7}"
        print(f"\n{header}  load (median, range)")
        results: dict[str, Any] = {"db": str(db), "query": args.query, "rounds": args.rounds, "series": []}
        for (label, name), one in series.items():
            loads = [run.load for run in one.runs]
            for what in ("first", "exit") if name == "search" else ("exit",):
                stat = one.stat(what)
                print(
                    f"{label:<7} {name:<7} {what:<6}"
                    f" {stat['median']:7.2f} {stat['min']:7.2f} {stat['max']:7.2f}"
                    f"  {statistics.median(loads):.2f} ({min(loads):.2f}-{max(loads):.2f})"
                )
                results["series"].append({"tree": label, "command": name, "to": what, **stat, "loads": loads})
        print(f"output lines of the search: {hits}")
        if args.before:
            print("\nafter/before:")
            for name in commands:
                for what in ("first", "exit") if name == "search" else ("exit",):
                    before, after = series["before", name].stat(what), series["after", name].stat(what)
                    print(
                        f"  {name:<7} {what:<6} median {after['median'] / before['median']:.2f}"
                        f"  min {after['min'] / before['min']:.2f}"
                    )

        importtime = [args.python, "-X", "importtime", *commands["search"][1:]]
        run, _, errors = timed(importtime, child_env(trees["after"]))
        nodes = parse_importtime(errors)
        print_importtime(nodes, args.top, run.exit)
        print(f"\nload average at the end: {Path('/proc/loadavg').read_text().strip()}")
        if args.json:
            results["importtime_top"] = [
                {"module": node.name, "cumulative_us": node.cumulative_us, "self_us": node.self_us}
                for node in sorted(nodes, key=lambda n: -n.cumulative_us)[: args.top]
            ]
            results["heavy_imports"] = [
                {"package": package, "importer": importer, "cumulative_us": us}
                for package, importer, us in heavy_imports(nodes)
            ]
            args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
