"""Choosing and loading models, without loading one: backends, failures, normalisation."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.config import Settings
from app.embedding.base import l2_normalize
from app.embedding.loader import ModelHolder, backend_for, load_embedder


def test_settings_select_sentence_transformers_for_its_layout(minilm_path: Path, tmp_path: Path) -> None:
    assert backend_for(str(minilm_path), "auto") == "sentence-transformers"
    embedder = load_embedder(Settings(embedding_model=str(minilm_path), hybrid_search_home=tmp_path))
    assert embedder.dim == 384


def test_model_holder_reports_failure_without_raising(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    holder = ModelHolder(
        lambda: load_embedder(Settings(embedding_model=str(missing), hybrid_search_home=tmp_path))
    )
    holder.start()
    assert holder.wait(60)
    assert holder.status == "failed"
    assert holder.reason


def test_l2_normalize_keeps_zero_rows() -> None:
    out = l2_normalize([[3.0, 4.0], [0.0, 0.0]])
    assert np.allclose(out, [[0.6, 0.8], [0.0, 0.0]])


def test_unreachable_hub_model_fails_fast_with_a_clear_reason(tmp_path: Path) -> None:
    import time

    from app.errors import ModelUnavailable

    started = time.monotonic()
    try:
        load_embedder(Settings(embedding_model="BAAI/bge-m3", hybrid_search_home=tmp_path))
    except ModelUnavailable as exc:
        assert "BAAI/bge-m3" in str(exc) and "EMBEDDING_MODEL" in str(exc)
    else:  # pragma: no cover - only on a machine that has bge-m3 cached
        return
    assert time.monotonic() - started < 10
