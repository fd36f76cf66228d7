"""Search by meaning: papers' embeddings, kept in the store, and the vector index beside it.

The store holds every paper's embedding (one row per model, with a hash of the embedded text),
committed a window at a time, so a killed embedding run loses at most one window and resumes
with the papers still missing. A paper whose title and abstract did not change is not embedded
again. The vector index file is a cache of those rows, caught up from the store's embedding
sequence the way the keyword index follows the paper change sequence.

The model (a setting) names the vectors: switching models embeds everything anew into rows of
their own and an index file of their own; nothing assumes a dimension.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from papersift.embed import Embedder, Precision, locate_model, paper_text
from papersift.search.locking import SharedLock
from papersift.search.vectors import Allowed, VectorIndex
from papersift.store import Store

if TYPE_CHECKING:
    from papersift.embed.distributed import RayEmbedding

# A query is embedded from at most this many tokens (papers: the model's 256). all-MiniLM-L6-v2
# was trained on 128-token inputs, and a 256-token paragraph costs ~50 ms to embed on 2 cores
# against ~25 ms at 128: a pasted paragraph's first 128 tokens carry its topic.
QUERY_MAX_TOKENS = 128
# Papers embedded between commits: a kill loses at most this many (~7 s of work at fp32 on 2 cores);
# the embedder sorts each window by length, so batches carry little padding.
EMBED_WINDOW = 512
# A Ray engine gets this many windows at a time, enough packets to keep every actor busy.
RAY_WINDOWS = 16

log = logging.getLogger(__name__)
EmbedProgress = Callable[[int, int], None]  # (papers embedded so far, papers to embed)


def text_hash(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def model_key(model: str, precision: Precision) -> str:
    """How the store names a model's vectors: int8 vectors differ slightly from fp32 ones."""
    return model if precision == "fp32" else f"{model}@{precision}"


# Held while an embedder is looked up or loaded: two threads asking for a model at once load it
# once (a second and ~100 MB each time), not twice.
_LOADING_EMBEDDER = threading.Lock()


def shared_embedder(model: str, precision: Precision, threads: int | None = None) -> Embedder:
    """One embedder per model, precision and thread count per process: loading one takes about a
    second. `threads` None: every core (for embedding papers in bulk). Its `embed` may be called
    from several threads at once (the tokenizer and ONNX Runtime's session allow it)."""
    with _LOADING_EMBEDDER:
        return _embedder(model, precision, threads)


@lru_cache(maxsize=4)
def _embedder(model: str, precision: Precision, threads: int | None) -> Embedder:
    return Embedder(model, precision=precision, threads=threads)


# A query is one short sequence: on one thread it costs 2.2 ms of CPU (a 128-token paragraph 13.5),
# on two 1.1 ms of wall time but the same CPU or more, and the second thread spins waiting for work,
# which a loaded web server (a worker per core) pays for in throughput (docs/notes/web-load.md).
QUERY_THREADS = 1
# Queries are embedded by the int8 model whatever the papers' precision: 1.2 ms instead of 2.2 (9.7
# instead of 13.1 for a paragraph), and SciFact test nDCG@10 unchanged against fp32 papers (semantic
# 0.6504 vs 0.6497, hybrid 0.7382 vs 0.7387; docs/notes/web-load.md).
QUERY_PRECISION: Precision = "int8"
# Queries come back: the next page, a search-as-you-type prefix typed again, a popular topic.
QUERY_CACHE_SIZE = 1024


class SemanticIndex:
    """Embeddings of one model for one store, and the nearest-neighbour search over them."""

    def __init__(
        self,
        store: Store,
        index_dir: Path,
        model: str,
        precision: Precision = "fp32",
        *,
        window: int = EMBED_WINDOW,
    ) -> None:
        self.store = store
        self.window = window  # papers embedded and committed per transaction
        self.model = model
        self.precision = precision
        self.key = model_key(model, precision)
        self.dimension = locate_model(model).dimension  # raises ModelUnavailable if not installed
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(self.key).name)
        self.path = index_dir / f"vectors-{safe}.npz"
        self._vectors: VectorIndex | None = None
        self.searched_by_store = store.searches_vectors
        # Searches read the vector index together; a catch-up (add, reorganise, save) changes it
        # in place, alone.
        self._lock = SharedLock()

    @property
    def embedder(self) -> Embedder:
        return shared_embedder(self.model, self.precision)

    # -- embedding papers ---------------------------------------------------------------------

    def pending(self) -> list[tuple[int, bytes]]:
        """(pk, text hash) of papers whose current title and abstract have no embedding yet."""
        through = self.store.embedded_through(self.key)
        pending = []
        for pk, title, abstract, stored_hash in self.store.iter_embedding_candidates(
            self.key, changed_after=through
        ):
            digest = text_hash(paper_text(title, abstract))
            if digest != stored_hash:
                pending.append((pk, digest))
        return pending

    def embed_pending(
        self,
        on_progress: EmbedProgress | None = None,
        start_engine: Callable[[], RayEmbedding] | None = None,
    ) -> int:
        """Embed every paper that needs it, a window per transaction. With `start_engine`, the
        embedding runs on the engine it starts, only if there is anything to embed (a packet per
        transaction, as packets come back). Returns how many."""
        target = self.store.change_sequence()
        if self.store.embedded_through(self.key) >= target:
            return 0
        pending = self.pending()
        if on_progress:
            on_progress(0, len(pending))
        engine = start_engine() if pending and start_engine is not None else None
        try:
            self._embed_windows(pending, engine, on_progress)
        finally:
            if engine is not None:
                engine.close()
        self.store.set_embedded_through(self.key, target)
        return len(pending)

    def _embed_windows(
        self, pending: list[tuple[int, bytes]], engine: RayEmbedding | None, on_progress: EmbedProgress | None
    ) -> None:
        done = 0
        size = self.window if engine is None else self.window * RAY_WINDOWS
        for start in range(0, len(pending), size):
            window = pending[start : start + size]
            texts = self.store.texts_by_pk([pk for pk, _ in window])
            present = [
                (pk, digest, paper_text(texts[pk].title, texts[pk].abstract))
                for pk, digest in window
                if pk in texts
            ]
            if engine is None:
                vectors = self.embedder.embed([text for _, _, text in present])
                batches = iter([([pk for pk, _, _ in present], [d for _, d, _ in present], vectors)])
            else:
                batches = engine.embed(present)
            for pks, digests, vectors in batches:
                rows = [
                    (pk, digest, vector.astype("<f4").tobytes())
                    for pk, digest, vector in zip(pks, digests, vectors, strict=True)
                ]
                self.store.save_embeddings(self.key, rows)
                done += len(rows)
                if on_progress and engine is not None:
                    on_progress(min(done, len(pending)), len(pending))
            done = start + len(window)
            if on_progress:
                on_progress(done, len(pending))

    # -- the vector index -----------------------------------------------------------------------

    def vectors(self) -> VectorIndex:
        """The vector index, caught up with the store's embeddings (read it under `reading()`)."""
        sequence = self.store.embedding_sequence(self.key)
        index = self._vectors
        if index is not None and index.covers_sequence >= sequence and not index.reorganisation_due:
            return index  # the common case, without waiting for the searches in flight
        with self._lock.exclusive():
            if self._vectors is None:
                self._vectors = VectorIndex.open(self.path, self.dimension)
                if self._vectors.covers_sequence > sequence:  # ahead of a store restored from a backup
                    self._vectors = VectorIndex(self.path, self.dimension)
            index = self._vectors
            if index.covers_sequence < sequence or index.reorganisation_due:
                for rows in self.store.iter_embeddings(self.key, written_after=index.covers_sequence):
                    index.add([row.pk for row in rows], self._matrix(row.vector for row in rows))
                index.covers_sequence = sequence
                self.path.parent.mkdir(parents=True, exist_ok=True)
                index.save()
            return index

    def reading(self) -> AbstractContextManager[None]:
        """Hold while reading the vector index: no catch-up changes it meanwhile (not re-entrant)."""
        return self._lock.shared()

    def _matrix(self, blobs: Iterable[bytes]) -> npt.NDArray[np.float32]:
        joined = b"".join(blobs)
        return np.frombuffer(joined, dtype="<f4").reshape(-1, self.dimension)

    def vectors_of(self, pks: Sequence[int]) -> dict[int, npt.NDArray[np.float32]]:
        """The stored embeddings of some papers (those that have one)."""
        found = self.store.embeddings_by_pk(self.key, pks)
        return {pk: np.frombuffer(blob, dtype="<f4") for pk, blob in found.items()}

    def embed_query(self, text: str) -> npt.NDArray[np.float32]:
        """The query's vector (read-only: it is shared through a cache)."""
        return _query_vector(self.model, text)

    def nearest(
        self, vector: npt.ArrayLike, k: int, allowed: Allowed = None
    ) -> tuple[list[int], list[float]]:
        """The k papers nearest to a vector (cosine), best first: by the database where it can
        search vectors itself (PostgreSQL: no copy of every vector in each process), else by the
        vector index beside it."""
        if self.searched_by_store:
            pks = None
            if allowed is not None:
                pks = (
                    np.flatnonzero(allowed) if isinstance(allowed, np.ndarray) else np.array(sorted(allowed))
                )
            found = self.store.nearest(self.key, vector, k, pks)
            assert found is not None
            return [hit.pk for hit in found], [hit.score for hit in found]
        index = self.vectors()
        with self.reading():  # searches run side by side (numpy and usearch release the GIL)
            keys, scores = index.search(vector, k, allowed)
        return keys.tolist(), scores.tolist()

    def catch_up(self) -> None:
        """Bring the vector index beside the store up to date (if this store needs one)."""
        if not self.searched_by_store:
            self.vectors()

    def coverage(self) -> int:
        return self.store.count_embeddings(self.key)


@lru_cache(maxsize=QUERY_CACHE_SIZE)
def _query_vector(model: str, text: str) -> npt.NDArray[np.float32]:
    embedder = shared_embedder(model, QUERY_PRECISION, QUERY_THREADS)
    vector: npt.NDArray[np.float32] = embedder.embed([text], max_tokens=QUERY_MAX_TOKENS)[0]
    vector.setflags(write=False)
    return vector
