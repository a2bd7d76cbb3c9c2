"""The mixed load's plan and the synthetic model, without a service."""

from __future__ import annotations

import numpy as np
import pytest

from app.bench.http_load import (
    MIXED_ID_PREFIX,
    mixed_calls,
)
from app.config import Settings
from app.embedding.loader import load_embedder
from app.embedding.synthetic import SyntheticEmbedder
from tests.fuzz.test_load import QUERIES, TEXTS


def test_mixed_plan_spreads_writes_and_ends_in_a_known_state() -> None:
    plan = mixed_calls(QUERIES, TEXTS, requests=100, write_share=0.25, batch=3)
    kinds = [c.kind for c in plan.calls]
    assert len(kinds) == 100 and kinds.count("upsert") == 25
    assert {kinds.count(m) for m in ("keyword", "semantic", "hybrid")} == {25}
    # evenly spread: never more than one write in any four consecutive requests
    assert all(kinds[i : i + 4].count("upsert") == 1 for i in range(0, 100, 4))
    # each query goes through each mode
    pairs = {(c.params["q"], c.params["mode"]) for c in plan.calls if c.params}
    assert len(pairs) == len(QUERIES) * 3
    # ids written about twice each (insert, then replace), and the expected state is the last write
    written = [d for c in plan.calls if c.body for d in c.body["documents"]]
    assert len(written) == 75 and len(plan.final) == 37
    for doc_id, text in plan.final.items():
        assert doc_id.startswith(MIXED_ID_PREFIX)
        assert [d["text"] for d in written if d["id"] == doc_id][-1] == text
    assert all(c.expect_written == 3 for c in plan.calls if c.body)


def test_synthetic_model_is_deterministic_and_loadable_by_name(tmp_path: object) -> None:
    emb = SyntheticEmbedder(32)
    a = emb.encode(["自行车", "bike", "\ud800 lone surrogate"])
    assert a.shape == (3, 32) and np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(a, emb.encode(["自行车", "bike", "\ud800 lone surrogate"]))
    assert np.array_equal(emb.encode_queries(["bike"]), a[1:2])
    assert emb.encode([]).shape == (0, 32)
    loaded = load_embedder(Settings(embedding_backend="synthetic", embedding_model="synthetic-clustered-32"))
    assert (loaded.name, loaded.dim) == (emb.name, 32)
    for bad in ("synthetic-clustered-", "synthetic-clustered-x", "bge-m3", "synthetic-clustered-0"):
        with pytest.raises(ValueError, match="synthetic-clustered-<dimension>"):
            SyntheticEmbedder.from_name(bad)
