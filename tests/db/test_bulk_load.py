"""Bulk loads: an ingest into an empty database drops the search indexes and builds them after, ending
with the very indexes a row-by-row load keeps and the same answers; an interrupted load's indexes are
built by the next ingest or service start; one bulk load at a time."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from app import cli
from app.config import Settings
from app.db import open_pool
from app.ingest.bulk import BULK_LOCK, BulkLoadRunning, deferred_indexes, restore_interrupted
from tests.conftest import new_database

LINES = "".join(
    json.dumps(
        {
            "_id": f"d{i}",
            "title": f"文档 {i}",
            "text": f"北京 天气 第{i}天 {'晴' if i % 2 else '雨'}",
            "k": i % 3,
        }
    )
    + "\n"
    for i in range(40)
)


def indexes(url: str) -> list[tuple[str, str]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname IN ('public', 'search') ORDER BY 1"
        ).fetchall()
    return [(r[0], r[1]) for r in rows]


def run_ingest(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> dict[str, Any]:
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    assert cli.main(["ingest", *args, "--quiet"]) == 0
    out: dict[str, Any] = json.loads(capsys.readouterr().out)
    return out


def search(settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    assert cli.main(["search", "北京 晴", "--mode", "hybrid", "-k", "10", "--json"]) == 0
    return [(h["id"], round(h["score"], 6)) for h in json.loads(capsys.readouterr().out)["hits"]]


def test_bulk_into_an_empty_database_ends_as_a_row_by_row_load(
    tmp_path: Path,
    server_url: str,
    settings: Settings,
    tiny_m3_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    f = tmp_path / "d.jsonl"
    f.write_text(LINES, encoding="utf-8")
    loaded = {}
    for way in ("no", "auto"):
        s = settings.model_copy(
            update={"embedding_model": str(tiny_m3_path), "database_url": new_database(server_url)}
        )
        out = run_ingest(s, monkeypatch, capsys, str(f), "--bulk", way, "--batch-size", "8")
        assert out["written"] == 40
        loaded[way] = (s, out["bulk_load"])
    assert loaded["no"][1] is None
    bulk = loaded["auto"][1]
    assert {"documents_tsv_gin", "passages_embedding_hnsw", "postings_impact"} <= set(bulk["deferred"])
    assert bulk["build_s"] >= 0
    (plain, _), (fast, _) = loaded["no"], loaded["auto"]
    assert indexes(fast.database_url or "") == indexes(plain.database_url or "")  # every index, as defined
    assert search(fast, monkeypatch, capsys) == search(plain, monkeypatch, capsys)
    again = run_ingest(fast, monkeypatch, capsys, str(f))  # not empty now: auto loads row by row
    assert again["bulk_load"] is None and again["unchanged"] == 40


def test_an_interrupted_load_is_finished_by_the_next_start(
    db_url: str,
    settings: Settings,
    pool: ConnectionPool,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = indexes(db_url)
    with pool.connection() as conn:
        deferred = [r[0] for r in conn.execute("SELECT search.defer_indexes()").fetchall()]
    assert "documents_tsv_gin" in deferred and len(indexes(db_url)) == len(before) - len(deferred)
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    assert cli.main(["stats"]) == 0
    assert "indexes missing  documents_metadata_gin" in capsys.readouterr().out  # an admin sees it
    with psycopg.connect(db_url, autocommit=True) as other:  # a load still running: left alone
        other.execute("SELECT pg_advisory_lock(%s)", (BULK_LOCK,))
        assert restore_interrupted(pool) == []
        with pytest.raises(BulkLoadRunning), deferred_indexes(pool):
            pass
    assert restore_interrupted(pool) == sorted(deferred)
    assert indexes(db_url) == before
    with pool.connection() as conn:
        assert conn.execute("SELECT count(*) FROM search.deferred_indexes").fetchone() == (0,)
    assert cli.main(["stats", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["deferred_indexes"] == []


def test_indexes_are_built_even_when_the_load_fails(db_url: str, settings: Settings) -> None:
    before = indexes(db_url)
    pool = open_pool(db_url, settings, min_size=1)
    try:
        with pytest.raises(ValueError, match="bad input"), deferred_indexes(pool) as info:
            assert len(indexes(db_url)) < len(before)
            raise ValueError("bad input")
        assert info["build_s"] is not None and indexes(db_url) == before
    finally:
        pool.close()


def test_the_service_builds_them_at_start(db_url: str, settings: Settings, pool: ConnectionPool) -> None:
    from fastapi.testclient import TestClient

    from app.api.main import create_app
    from app.embedding.loader import ModelHolder
    from tests.conftest import LOCAL_CLIENT

    before = indexes(db_url)
    with pool.connection() as conn:
        conn.execute("SELECT search.defer_indexes()")
    app = create_app(settings, pool=pool, models=ModelHolder.unavailable("no model"))
    with TestClient(app, client=LOCAL_CLIENT) as c:
        assert c.get("/search", params={"q": "北京", "mode": "keyword"}).status_code == 200  # meanwhile
        deadline = time.monotonic() + 30
        while indexes(db_url) != before and time.monotonic() < deadline:
            time.sleep(0.1)
    assert indexes(db_url) == before
