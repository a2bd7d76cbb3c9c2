"""Clicks (POST /events): every answer carries a search id; a click naming it, the document and the
position it was shown at is stored in batches; anything else is refused at the edge or dropped by
search.record_events; analysts' views and `finetune-data --from-clicks` read them."""

from __future__ import annotations

import json
import time
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from psycopg_pool import ConnectionPool

from app import cli
from app.api.main import create_app
from app.config import Settings
from app.embedding.base import Embedder
from app.embedding.loader import ModelHolder
from app.ingest.documents import Document
from app.ingest.pipeline import upsert_documents
from app.search.events import new_search_id, search_id_ms

CITIES = ["北京", "上海", "广州", "深圳"]


@pytest.fixture
def loaded(pool: ConnectionPool, tiny_m3: Embedder) -> ConnectionPool:
    docs = [
        Document(f"d{i}", f"{CITIES[i % 4]}的天气", f"{CITIES[i % 4]}今天晴朗。第{i}篇。", None, {"n": i})
        for i in range(24)
    ]
    upsert_documents(pool, tiny_m3, docs)
    return pool


def _client(settings: Settings, pool: ConnectionPool) -> TestClient:
    return TestClient(create_app(settings, pool=pool, models=ModelHolder.unavailable("none")))


def _search(c: TestClient, q: str, client: str = "alice", **params: object) -> dict:
    r = c.get("/search", params={"q": q, "mode": "keyword", **params}, headers={"X-Client-Id": client})
    assert r.status_code == 200, r.text
    return r.json()


def _click(c: TestClient, answer: dict, index: int, client: str = "alice") -> int:
    body = {
        "search_id": answer["search_id"],
        "id": answer["hits"][index]["id"],
        "position": answer["offset"] + index + 1,
        "client": client,
    }
    return c.post("/events", json=body).status_code


def test_search_ids_are_time_ordered_uuid7() -> None:
    a, b = new_search_id(1_700_000_000_000), new_search_id(1_700_000_000_001)
    assert uuid.UUID(a).version == 7 and uuid.UUID(a).variant == uuid.RFC_4122
    assert search_id_ms(a) == 1_700_000_000_000 and a < b
    assert search_id_ms(str(uuid.uuid4())) is None and search_id_ms("nope") is None
    assert len({new_search_id(5) for _ in range(1000)}) == 1000


def test_clicks_are_stored_and_counted(loaded: ConnectionPool, settings: Settings) -> None:
    with _client(settings, loaded) as c:
        first = _search(c, "北京 天气")
        assert uuid.UUID(first["search_id"]).version == 7
        assert _click(c, first, 0) == 202 and _click(c, first, 2) == 202
        again = _search(c, "北京  天气", client="bob")  # the same query key
        assert again["search_id"] != first["search_id"]
        page2 = _search(c, "北京 天气", client="bob", offset=3, limit=3)
        assert _click(c, page2, 1, client="bob") == 202  # position 5 of the whole list
        for _ in range(3):
            _search(c, "上海", client="carol")  # searched, never clicked
        _search(c, "火星")  # nothing found: not an unclicked query
        no_header = c.get("/search", params={"q": "广州", "mode": "keyword"})
        assert no_header.status_code == 200
    with loaded.connection() as conn:
        events = conn.execute(
            "SELECT kind, search_id::text, doc_id, position, client FROM search.events ORDER BY id"
        ).fetchall()
        assert events == [
            ("click", first["search_id"], first["hits"][0]["id"], 1, "alice"),
            ("click", first["search_id"], first["hits"][2]["id"], 3, "alice"),
            ("click", page2["search_id"], page2["hits"][1]["id"], 5, "bob"),
        ]
        clients = dict(conn.execute("SELECT query, client FROM search.query_log WHERE query <> '北京 天气'"))
        assert clients["上海"] == "carol" and clients["广州"].startswith("h:")  # hashed address and agent
        stats = {
            q: rest
            for q, *rest in conn.execute(
                "SELECT query, searches, clicked_searches, click_through_rate, clicks, mean_clicked_position"
                " FROM search.click_stats"
            )
        }
        assert stats["北京 天气"] == [3, 2, Decimal("0.667"), 3, Decimal("3.00")]
        assert stats["上海"] == [3, 0, 0, 0, None] and stats["火星"] == [1, 0, 0, 0, None]
        unclicked = conn.execute("SELECT query, searches FROM search.unclicked_queries").fetchall()
        assert unclicked == [("上海", 3), ("广州", 1)]


def test_bad_clicks_are_refused(loaded: ConnectionPool, settings: Settings) -> None:
    with _client(settings, loaded) as c:
        answer = _search(c, "北京 天气", limit=3)
        sid, shown = answer["search_id"], [h["id"] for h in answer["hits"]]
        other = next(f"d{i}" for i in range(24) if f"d{i}" not in shown)
        cases = {
            404: [
                {"search_id": str(uuid.uuid4()), "id": shown[0], "position": 1},  # not one of ours
                {"search_id": new_search_id(int(time.time() * 1000) - 60_000), "id": shown[0], "position": 1},
            ],
            422: [
                {"search_id": sid, "id": other, "position": 1},  # not shown there
                {"search_id": sid, "id": shown[1], "position": 1},  # shown, elsewhere
                {"search_id": sid, "id": shown[0], "position": 4},  # past the page
                {"search_id": "x", "id": shown[0], "position": 1},
                {"search_id": sid, "id": shown[0], "position": 0},
                {"search_id": sid, "id": "d" * 600, "position": 1},
                {"search_id": sid, "id": shown[0], "position": 1, "type": "purchase"},
                {"search_id": sid, "id": shown[0], "position": 1, "client": "a b"},
                {"search_id": sid, "id": shown[0], "position": 1, "extra": 1},
            ],
        }
        for status, bodies in cases.items():
            for body in bodies:
                r = c.post("/events", json=body)
                assert r.status_code == status, (body, r.text)
                assert r.json()["detail"]
    with loaded.connection() as conn:
        assert conn.execute("SELECT count(*) FROM search.events").fetchone() == (0,)


def test_a_click_on_another_workers_search(loaded: ConnectionPool, settings: Settings) -> None:
    """Two app instances on one database stand for two workers: a click reaching the one that did not
    answer is checked against the log once written, or when written (its row may still be queued)."""
    with _client(settings, loaded) as a, _client(settings, loaded) as b:
        answer = _search(a, "深圳 天气")
        assert _click(b, answer, 1) == 202  # a's log row may not be written yet: checked at write
        forged = {"search_id": new_search_id(), "id": "d1", "position": 1}
        assert b.post("/events", json=forged).status_code == 202  # recent, unknown: dropped at write
        time.sleep(1.5)  # a's log written
        wrong = {"search_id": answer["search_id"], "id": answer["hits"][0]["id"], "position": 2}
        assert b.post("/events", json=wrong).status_code == 422  # checked against the stored row
        events = b.app.state.hybrid.events
    assert events.rejected == 1 and events.written == 1
    with loaded.connection() as conn:
        rows = conn.execute("SELECT search_id::text, doc_id, position FROM search.events").fetchall()
        assert rows == [(answer["search_id"], answer["hits"][1]["id"], 2)]
        # the function itself stores only what a logged search showed there
        stored = conn.execute(
            "SELECT search.record_events(ARRAY[now()], ARRAY['click'], ARRAY[%s::uuid], ARRAY['d999'],"
            " ARRAY[1], ARRAY[NULL::text])",
            (answer["search_id"],),
        ).fetchone()
        assert stored == (0,)


def test_events_off_with_the_query_log(loaded: ConnectionPool, settings: Settings) -> None:
    s = settings.model_copy(update={"query_log": False})
    with _client(s, loaded) as c:
        answer = _search(c, "北京")
        r = c.post(
            "/events", json={"search_id": answer["search_id"], "id": answer["hits"][0]["id"], "position": 1}
        )
        assert r.status_code == 404 and "QUERY_LOG" in r.json()["detail"]


def test_finetune_data_from_clicks(
    loaded: ConnectionPool,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with _client(settings, loaded) as c:
        for who in ("alice", "bob"):
            answer = _search(c, "北京 天气", client=who)
            assert _click(c, answer, 0, client=who) == 202
        answer = _search(c, "北京 天气", client="carol")
        assert _click(c, answer, 1, client="carol") == 202
        lonely = _search(c, "上海 天气", client="dave")
        assert _click(c, lonely, 0, client="dave") == 202
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    out = tmp_path / "clicks.jsonl"
    args = ["finetune-data", "--from-clicks", "--mode", "keyword", "--negatives", "5", "--out", str(out)]
    assert cli.main([*args, "--min-clients", "2", "--quiet"]) == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [x["query"] for x in lines] == ["北京 天气"]  # 上海 天气: one client, d-second: one client
    top = answer["hits"][0]["id"]
    with loaded.connection() as conn:
        title, body = conn.execute(
            "SELECT title, body FROM documents WHERE external_id = %s", (top,)
        ).fetchone()
    assert lines[0]["pos"] == [f"{title}\n{body}"] and len(lines[0]["neg"]) == 5
    assert f"{title}\n{body}" not in lines[0]["neg"]
    capsys.readouterr()
    assert cli.main([*args, "--quiet"]) == 0  # every clicked pair: both queries, 北京's two documents
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [len(x["pos"]) for x in lines] == [1, 2] and lines[1]["query"] == "北京 天气"
    assert not set(lines[1]["pos"]) & set(lines[1]["neg"])  # a clicked document is never a negative
    assert cli.main(["finetune-data", "--from-clicks", "--queries", "q.jsonl", "--out", str(out)]) == 2
