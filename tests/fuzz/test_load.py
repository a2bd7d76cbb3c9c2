"""The bench's mixed load: its plan, the synthetic model its service loads, and that it counts errors
and checks what was written (the bench itself runs it in tests/cli/test_bench.py)."""

from __future__ import annotations

from psycopg_pool import ConnectionPool

from app import store
from app.bench import engine
from app.bench.http_load import (
    MIXED_ID_PREFIX,
    mixed_calls,
    mixed_load,
    running_service,
    wait_for_model,
)
from app.embedding.synthetic import SyntheticEmbedder

QUERIES = ["自行车", "山地车 变速", "bike helmet", "城市 通勤 电动车"]
TEXTS = [f"第{i}篇 自行车 评测 文本 {i}" for i in range(10)]


def test_mixed_load_counts_refused_writes_then_writes_all_consistently(
    db_url: str, pool: ConnectionPool
) -> None:
    emb = SyntheticEmbedder(16)
    with pool.connection() as conn:
        store.register_model(conn, emb)
    env = {"EMBEDDING_BACKEND": "synthetic", "EMBEDDING_MODEL": emb.name, "API_KEYS": "the-right-key"}
    plan = mixed_calls(QUERIES, TEXTS, requests=40, write_share=0.5, batch=2)
    with running_service(db_url, env) as base:
        wait_for_model(base)
        refused = mixed_load(base, plan, 4, {"X-API-Key": "a-wrong-key"})
        assert refused["errors"] == 20 and refused["error_kinds"] == {"403": 20}
        assert refused["by_kind"]["upsert"]["errors"] == 20 and refused["by_kind"]["hybrid"]["errors"] == 0
        assert not engine.written_as_planned(pool, plan.final, MIXED_ID_PREFIX)["consistent"]

        done = mixed_load(base, plan, 4, {"X-API-Key": "the-right-key"})
        assert done["errors"] == 0, done["error_kinds"]
        assert done["documents_written"] == 40 and done["by_kind"]["semantic"]["requests"] == 7
    after = engine.written_as_planned(pool, plan.final, MIXED_ID_PREFIX)
    assert after == {
        "documents_expected": 20,
        "documents_found": 20,
        "documents_as_written": 20,
        "statistics_match_recount": True,
        "consistent": True,
    }
    assert engine.remove_documents(pool, plan.final) == 20
    assert engine.written_as_planned(pool, {}, MIXED_ID_PREFIX)["consistent"]
