"""The search indexes beside a library's store: the keyword index (a file of term postings) and
the semantic index (the model's vectors of the papers, in a vector index). Both are caches,
brought up to date from the store's change sequences whenever stale; the store holds the truth."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

from papersift.embed import Precision
from papersift.errors import ModelUnavailable, PapersiftError
from papersift.records import IngestReport
from papersift.search.keyword import IndexedPaper, KeywordIndex
from papersift.search.semantic import EmbedProgress, SemanticIndex
from papersift.store import Store

Engine = Literal["local", "ray"]
ProgressCallback = Callable[[str, int], None]  # (origin, records read so far in it)
# The embedding model setting that switches semantic search off (keyword search only, no embedding).
NO_EMBEDDINGS = "none"


class Indexes:
    """The keyword and semantic indexes of one library, loaded on first use."""

    def __init__(self, store: Store, index_dir: Path, embedding_model: str, precision: Precision) -> None:
        self.store = store
        self.index_dir = index_dir
        self.embedding_model = embedding_model
        self.precision: Precision = precision
        self._keyword: KeywordIndex | None = None
        self._semantic: SemanticIndex | None = None
        self.semantic_unavailable: ModelUnavailable | None = None

    # -- keyword --------------------------------------------------------------------------

    @property
    def keyword_path(self) -> Path:
        return self.index_dir / "keyword.npz"

    def keyword(self, refresh: bool = True) -> KeywordIndex:
        if self._keyword is None:
            loaded = KeywordIndex.load(self.keyword_path)
            # A cache ahead of its store (the database was restored from an older backup) is
            # built again rather than trusted.
            if loaded is None or loaded.covers_sequence > self.store.change_sequence():
                loaded = KeywordIndex()
            self._keyword = loaded
        if refresh:
            self.refresh_keyword()
        return self._keyword

    def refresh_keyword(self, on_progress: ProgressCallback | None = None) -> int:
        """Take in the papers changed since the index was saved; how many."""
        index = self.keyword(refresh=False)
        sequence = self.store.change_sequence()
        if index.covers_sequence >= sequence:
            return 0
        changed = 0

        def rows() -> Iterator[IndexedPaper]:
            nonlocal changed
            for row in self.store.iter_index_rows(changed_after=index.covers_sequence):
                changed += 1
                if on_progress and changed % 5000 == 0:
                    on_progress("index", changed)
                yield IndexedPaper(*row)

        index.add(rows())
        index.covers_sequence = sequence
        index.save(self.keyword_path)
        return changed

    # -- semantic -------------------------------------------------------------------------

    def semantic(self, *, required: bool) -> SemanticIndex | None:
        """The semantic index, or None (or ModelUnavailable when `required`) without the model."""
        if self._semantic is None and self.semantic_unavailable is None:
            if self.embedding_model == NO_EMBEDDINGS:
                self.semantic_unavailable = ModelUnavailable(
                    f"semantic search is switched off (embedding model {NO_EMBEDDINGS!r})"
                )
                if required:
                    raise self.semantic_unavailable
                return None
            try:
                self._semantic = SemanticIndex(
                    self.store, self.index_dir, self.embedding_model, self.precision
                )
            except ModelUnavailable as error:
                self.semantic_unavailable = error
        if self._semantic is None and required:
            assert self.semantic_unavailable is not None
            raise self.semantic_unavailable
        return self._semantic

    def embed(
        self,
        report: IngestReport | None,
        on_embed: EmbedProgress | None,
        engine: Engine,
        ray_address: str | None,
    ) -> None:
        """Embed the papers new or changed since the last run (resumably: each window is
        committed) and catch the vector index up. A missing model is not an error here: it is
        noted in `report` and search stays keyword-only."""
        semantic = self.semantic(required=False)
        if semantic is None:
            switched_off = self.embedding_model == NO_EMBEDDINGS
            if report is not None and self.semantic_unavailable is not None and not switched_off:
                report.notes.append(f"not embedded: {self.semantic_unavailable.reason}")
            return
        if engine == "local":
            embedded = semantic.embed_pending(on_embed)
        elif engine == "ray":
            from papersift.embed.distributed import RayEmbedding

            embedded = semantic.embed_pending(
                on_embed,
                start_engine=lambda: RayEmbedding(semantic.model, semantic.precision, address=ray_address),
            )
        else:
            raise PapersiftError(f"unknown engine {engine!r}; choose local or ray")
        semantic.catch_up()
        if report is not None:
            report.embedded += embedded

    # -- both -----------------------------------------------------------------------------

    def load(self) -> None:
        """Catch both indexes up with the store, saving them; nothing is embedded and the model
        is not loaded."""
        self.keyword()
        semantic = self.semantic(required=False)
        if semantic is not None:
            semantic.catch_up()

    def drop(self, *, embeddings: bool = False) -> None:
        """Delete the index files (the next refresh rebuilds them from the store); with
        `embeddings`, also forget the current model's embeddings."""
        if embeddings:
            semantic = self.semantic(required=True)
            assert semantic is not None
            self.store.delete_embeddings(semantic.key)
        for path in [*self.index_dir.glob("*.npz"), *self.index_dir.glob("*.usearch")]:
            path.unlink()
        self._keyword = None
        self._semantic = None

    def coverage(self) -> tuple[str | None, int]:
        """The embedding model's key and how many papers it has embedded (None, 0 without it)."""
        semantic = self.semantic(required=False)
        return (semantic.key, semantic.coverage()) if semantic else (None, 0)
