"""Embedding on a Ray cluster (`papersift ingest --engine ray`), for imports too big for one machine.

Embedding is where an import spends its time (the 74,728-paper crawl: 23 min of embedding against
16 s for reading, merging, extracting and writing), so that is the stage Ray spreads: the driver
reads, merges and writes as the local engine does (one place decides what is a duplicate), and
the papers waiting for a vector go through a Ray Data pipeline whose actors each load the model
once. Rows are packed into batches by token count, so that every task carries about the same
work whatever the abstracts' lengths. Each batch's vectors are written as they come back (a
killed import resumes with the papers still unembedded, as locally).

Without an address Ray starts on this machine; with one (`ray://host:10001` or `auto`) the
driver joins that cluster, whose workers need papersift and the model package installed.
Ray is an optional extra: `pip install 'papersift[ray]'`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from papersift.embed import Embedder, Precision
from papersift.errors import PapersiftError

# A task's worth of tokens: ~64 abstracts of typical length (papersift's batches inside the actor
# stay at 8 texts; this only sizes the unit of work Ray schedules).
TOKENS_PER_TASK = 16_384
THREADS_PER_ACTOR = 2

Window = Sequence[tuple[int, bytes, str]]  # (pk, text hash, text)


class RayEmbedding:
    """Embeds windows of papers on Ray; `embed(windows)` yields (pk, text hash, vector) batches."""

    def __init__(
        self,
        model: str,
        precision: Precision,
        *,
        address: str | None = None,
        actors: int | None = None,
        threads_per_actor: int = THREADS_PER_ACTOR,
    ) -> None:
        try:
            import ray
        except ImportError:
            raise PapersiftError("the Ray engine needs the ray extra: pip install 'papersift[ray]'") from None
        self._ray = ray
        if not ray.is_initialized():
            ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
        self.model, self.precision = model, precision
        self.threads = threads_per_actor
        cpus = int(ray.cluster_resources().get("CPU", 1))  # type: ignore[no-untyped-call]
        self.actors = actors or max(1, cpus // threads_per_actor)
        self._counter = Embedder(model, precision=precision, threads=1)  # tokenizer for packing

    def close(self) -> None:
        self._ray.shutdown()

    def embed(self, window: Window) -> Iterator[tuple[list[int], list[bytes], np.ndarray]]:
        """The window's vectors, a token-sized packet at a time, in the order they finish."""
        import ray.data

        packets = pack_by_tokens(window, [self._counter.token_count(text) for _, _, text in window])
        dataset = ray.data.from_items(packets).map(
            _EmbedActor,  # type: ignore[arg-type]  # a class: Ray makes it an actor pool
            fn_constructor_kwargs={"model": self.model, "precision": self.precision, "threads": self.threads},
            compute=ray.data.ActorPoolStrategy(size=self.actors),  # `concurrency=` is deprecated
            num_cpus=self.threads,
        )
        for row in dataset.iter_rows():
            vectors = np.frombuffer(row["vectors"], dtype="<f4").reshape(len(row["pks"]), -1)
            yield [int(pk) for pk in row["pks"]], [bytes(d) for d in row["digests"]], vectors


def pack_by_tokens(
    window: Window, tokens: Sequence[int], budget: int = TOKENS_PER_TASK
) -> list[dict[str, Any]]:
    """Rows grouped so that each group holds about `budget` tokens (a long text alone if need be);
    texts of similar length go together, as the embedder pads a batch to its longest."""
    order = sorted(range(len(window)), key=lambda i: tokens[i])
    packets: list[dict[str, Any]] = []
    current: list[int] = []
    used = 0
    for i in order:
        if current and used + tokens[i] > budget:
            packets.append(_packet(window, current))
            current, used = [], 0
        current.append(i)
        used += tokens[i]
    if current:
        packets.append(_packet(window, current))
    return packets


def _packet(window: Window, rows: list[int]) -> dict[str, Any]:
    return {
        "pks": [window[i][0] for i in rows],
        "digests": [window[i][1] for i in rows],
        "texts": [window[i][2] for i in rows],
    }


class _EmbedActor:
    """A Ray actor: the model is loaded once, then packets stream through it."""

    def __init__(self, model: str, precision: Precision, threads: int) -> None:
        self.embedder = Embedder(model, precision=precision, threads=threads)

    def __call__(self, packet: dict[str, Any]) -> dict[str, Any]:
        vectors = self.embedder.embed(list(packet["texts"]))
        return {
            "pks": packet["pks"],
            "digests": packet["digests"],
            "vectors": vectors.astype("<f4").tobytes(),
        }
