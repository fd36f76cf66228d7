"""The search indexes beside a library's store: the keyword index (a file of term postings) and
the semantic index (the model's vectors of the papers, in a vector index). Both are caches,
brought up to date from the store's change sequences whenever stale; the store holds the truth.

Several threads may search at once (the web app's pool): searches read an index under its shared
lock, a refresh changes it under the exclusive one (`search.locking`), so neither sees the other
half done."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from papersift.errors import ModelUnavailable, PapersiftError
from papersift.records import IngestReport
from papersift.search.keyword import IndexedPaper, KeywordIndex
from papersift.search.locking import SharedLock
from papersift.store import Store

if TYPE_CHECKING:
    from papersift.embed import Precision
    from papersift.search.semantic import EmbedProgress, SemanticIndex

Engine = Literal["local", "ray"]
ProgressCallback = Callable[[str, int], None]  # (origin, records read so far in it)
# The embedding model setting that switches semantic search off (keyword search only, no embedding).
NO_EMBEDDINGS = "none"


class Indexes:
    """The keyword and semantic indexes of one library, loaded on first use."""

    def __init__(
        self,
        store: Store,
        index_dir: Path,
        embedding_model: str,
        precision: Precision,
        *,
        embed_window: int = 512,
    ) -> None:
        self.store = store
        self.embed_window = embed_window  # papers embedded per committed window (semantic.EMBED_WINDOW)
        self.index_dir = index_dir
        self.embedding_model = embedding_model
        self.precision: Precision = precision
        self._keyword: KeywordIndex | None = None
        self._semantic: SemanticIndex | None = None
        self.semantic_unavailable: ModelUnavailable | None = None
        # Searches read the keyword index together; loading, refreshing (add, then save, which
        # compacts) and dropping change it in place, alone.
        self._keyword_lock = SharedLock()
        # The semantic index (and its model) is made once, not once per thread asking at once.
        self._semantic_lock = threading.Lock()

    # -- keyword --------------------------------------------------------------------------

    @property
    def keyword_path(self) -> Path:
        return self.index_dir / "keyword.npz"

    def keyword(self, refresh: bool = True) -> KeywordIndex:
        """The keyword index (caught up with the store unless not to `refresh`); read it inside
        `reading_keyword()`."""
        if self._keyword is None:
            with self._keyword_lock.exclusive():
                if self._keyword is None:
                    loaded = KeywordIndex.load(self.keyword_path)
                    # A cache ahead of its store (the database was restored from an older backup)
                    # is built again rather than trusted.
                    if loaded is None or loaded.covers_sequence > self.store.change_sequence():
                        loaded = KeywordIndex()
                    self._keyword = loaded
        if refresh:
            self.refresh_keyword()
        index = self._keyword
        assert index is not None
        return index

    def reading_keyword(self) -> AbstractContextManager[None]:
        """Hold while reading the keyword index: no refresh changes it meanwhile (not re-entrant)."""
        return self._keyword_lock.shared()

    def refresh_keyword(self, on_progress: ProgressCallback | None = None) -> int:
        """Take in the papers changed since the index was saved; how many."""
        index = self.keyword(refresh=False)
        if index.covers_sequence >= self.store.change_sequence():
            return 0  # the common case, without waiting for the searches in flight
        with self._keyword_lock.exclusive():
            sequence = self.store.change_sequence()
            if index.covers_sequence >= sequence:
                return 0  # another thread caught it up meanwhile
            changed = 0

            def rows() -> Iterator[IndexedPaper]:
                nonlocal changed
                for row in self.store.iter_index_rows(changed_after=index.covers_sequence):
                    changed += 1
                    if on_progress and changed % 5000 == 0:
                        on_progress("index", changed)
                    yield IndexedPaper(
                        row.pk,
                        row.title,
                        row.abstract,
                        row.authors,
                        row.categories,
                        row.published,
                        row.has_code,
                    )

            index.add(rows())
            index.covers_sequence = sequence
            index.save(self.keyword_path)
            return changed

    # -- semantic -------------------------------------------------------------------------

    def semantic(self, *, required: bool) -> SemanticIndex | None:
        """The semantic index, or None (or ModelUnavailable when `required`) without the model."""
        if self._semantic is None and self.semantic_unavailable is None:
            with self._semantic_lock:
                self._open_semantic()
        if self._semantic is None and required:
            assert self.semantic_unavailable is not None
            raise self.semantic_unavailable
        return self._semantic

    def _open_semantic(self) -> None:
        if self._semantic is not None or self.semantic_unavailable is not None:
            return  # another thread opened it meanwhile
        if self.embedding_model == NO_EMBEDDINGS:
            self.semantic_unavailable = ModelUnavailable(
                f"semantic search is switched off (embedding model {NO_EMBEDDINGS!r})"
            )
            return
        from papersift.search.semantic import SemanticIndex  # the model's runtime: only now

        try:
            self._semantic = SemanticIndex(
                self.store, self.index_dir, self.embedding_model, self.precision, window=self.embed_window
            )
        except ModelUnavailable as error:
            self.semantic_unavailable = error

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
        with self._keyword_lock.exclusive(), self._semantic_lock:
            for path in [*self.index_dir.glob("*.npz"), *self.index_dir.glob("*.usearch")]:
                path.unlink()
            self._keyword = None
            self._semantic = None

    def coverage(self) -> tuple[str | None, int]:
        """The embedding model's key and how many papers it has embedded (None, 0 without it)."""
        semantic = self.semantic(required=False)
        return (semantic.key, semantic.coverage()) if semantic else (None, 0)
