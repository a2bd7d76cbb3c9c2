"""Suggestions (GET /suggest, search.suggest): titles and popular queries completing a prefix of their
text, pinyin or initials, traditional folded; never zero-result, one-client or keystroke queries."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterable

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
from app.search.suggest import reading, refresh, suggest, suggestion_key

TITLES = ["北京大学", "北京天气", "北京烤鸭店", "臺灣大學", "重庆火锅", "iPhone 15 手机", "Hello World"]
MANY = [f"上海公司{i:02d}" for i in range(60)]  # more than 50 start with 上海: kept in suggest_prefixes


def _log(pool: ConnectionPool, rows: Iterable[tuple[str, str, int, float]]) -> None:
    """(query, client, hits, seconds ago) rows, as the API writes them."""
    now = dt.datetime.now(dt.UTC)
    with pool.connection() as conn:
        for q, client, hits, ago in rows:
            conn.execute(
                "INSERT INTO search.query_log (at, query, mode, page_offset, page_limit, latency_ms, hits,"
                " top_ids, client) VALUES (%s, %s, 'hybrid', 0, 10, 1, %s, '{}', %s)",
                (now - dt.timedelta(seconds=ago), q, hits, client),
            )


@pytest.fixture
def loaded(pool: ConnectionPool, tiny_m3: Embedder) -> ConnectionPool:
    docs = [Document(f"t{i}", t, f"{t} 的介绍", None, {}) for i, t in enumerate(TITLES + MANY)]
    upsert_documents(pool, tiny_m3, docs)
    rows: list[tuple[str, str, int, float]] = []
    for c in ("a", "b", "c", "d"):  # four clients, each typed 北京旅 then 北京旅游 two seconds later
        rows += [("北京旅", c, 3, 100.0), (" 北京旅游 ", c, 5, 98.0)]
    rows += [("北京小吃", "a", 4, float(s)) for s in range(200, 230)]  # one client, thirty times
    rows += [("北京空无", c, 0, 300.0) for c in ("a", "b", "c")]  # found nothing
    rows += [("上海公司", c, 9, 400.0) for c in ("a", "b", "c")]  # popular, and a title prefix
    rows += [("臺灣 旅遊", c, 2, 500.0) for c in ("a", "b", "c")]  # traditional, folded
    rows += [("北京古迹", c, 2, 40 * 86400.0) for c in ("a", "b", "c")]  # older than SUGGEST_DAYS
    _log(pool, rows)
    assert refresh(pool, min_clients=3, days=30) == len(TITLES) + len(MANY) + 3
    return pool


def _texts(pool: ConnectionPool, prefix: str, limit: int = 10) -> list[str]:
    with pool.connection() as conn:
        return [s.text for s in suggest(conn, prefix, limit)]


def test_readings() -> None:
    assert reading("臺灣 大學") == reading("台湾 大学")
    assert reading("北京大学").pinyin == "beijingdaxue" and reading("北京大学").initials == "bjdx"
    assert reading("iPhone 15 手机").pinyin == "iphone15shouji"
    assert reading("Hello  World").key == "hello world" and reading("Hello World").pinyin == ""
    assert suggestion_key("  ＢＥＩ  Jing ") == "bei jing"


def test_what_is_suggested(loaded: ConnectionPool) -> None:
    found = _texts(loaded, "北京")
    # popular first, then titles shorter first; never the keystroke 北京旅, the one-client 北京小吃,
    # the zero-result 北京空无 or what was searched before the last 30 days
    assert found == ["北京旅游", "北京大学", "北京天气", "北京烤鸭店"]
    assert _texts(loaded, "bei") == found and _texts(loaded, "beijing") == found
    assert _texts(loaded, "bj") == found and _texts(loaded, "BeiJing") == found
    assert _texts(loaded, "beijing da") == ["北京大学"] and _texts(loaded, "bjdx") == ["北京大学"]
    assert _texts(loaded, "beijingdaxue") == ["北京大学"]
    # folded: either script finds both, each shown as written
    assert _texts(loaded, "台湾") == ["臺灣 旅遊", "臺灣大學"] == _texts(loaded, "臺灣")
    assert _texts(loaded, "taiwan") == ["臺灣 旅遊", "臺灣大學"]
    assert _texts(loaded, "iph") == ["iPhone 15 手机"] and _texts(loaded, "hello w") == ["Hello World"]
    assert _texts(loaded, "chongqing") == ["重庆火锅"] and _texts(loaded, "cq") == ["重庆火锅"]
    assert _texts(loaded, "火锅") == [] and _texts(loaded, "  ") == [] and _texts(loaded, "%") == []
    assert _texts(loaded, "北京", 2) == ["北京旅游", "北京大学"]


def test_prefix_table_and_range_scans_agree(loaded: ConnectionPool) -> None:
    """Prefixes completing to many are read from suggest_prefixes, the rest by range scans: both give
    what a scan of every suggestion would."""
    with loaded.connection() as conn:
        terms = conn.execute(
            "SELECT key, display, pinyin, initials, clients, len FROM search.suggest_terms"
        ).fetchall()
        heavy = {r[0] for r in conn.execute("SELECT DISTINCT prefix FROM search.suggest_prefixes")}
    assert {"上海", "s", "sh", "shanghai", "上"} <= heavy and "北京" not in heavy
    ranked = sorted(terms, key=lambda t: (-t[4], t[5], t[0]))
    for prefix in [
        "上",
        "上海",
        "上海公司",
        "上海公司0",
        "上海公司05",
        "s",
        "shanghaigongsi1",
        "shgs",
        "北",
        "b",
        "x",
    ]:
        want = [t[1] for t in ranked if any(f.startswith(prefix) for f in (t[0], t[2], t[3]) if f)][:10]
        assert _texts(loaded, prefix) == want, prefix
    assert _texts(loaded, "上海")[0] == "上海公司"  # three clients searched it: first


def test_refresh_follows_the_corpus_and_the_log(loaded: ConnectionPool, tiny_m3: Embedder) -> None:
    _log(loaded, [("北京小吃", c, 4, 10.0) for c in ("b", "c")])  # now three clients
    with loaded.connection() as conn:
        conn.execute("DELETE FROM documents WHERE title = '北京烤鸭店'")
    refresh(loaded, min_clients=3, days=30)
    assert _texts(loaded, "北京") == ["北京旅游", "北京小吃", "北京大学", "北京天气"]
    with loaded.connection() as conn:  # readings of what is no longer a candidate are dropped
        assert conn.execute(
            "SELECT count(*) FROM search.suggest_readings WHERE display = '北京烤鸭店'"
        ).fetchone() == (0,)


def test_suggest_endpoint_and_cli(
    loaded: ConnectionPool,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with loaded.connection() as conn:
        conn.execute("DELETE FROM search.suggest_terms; DELETE FROM search.suggest_prefixes")
    with TestClient(create_app(settings, pool=loaded, models=ModelHolder.unavailable("none"))) as c:
        deadline = time.monotonic() + 10
        while not c.get("/suggest", params={"q": "bei"}).json()["suggestions"]:  # refreshed at start
            assert time.monotonic() < deadline
            time.sleep(0.1)
        r = c.get("/suggest", params={"q": "bei", "limit": 2})
        assert r.status_code == 200 and r.headers["cache-control"].startswith("public")
        assert r.json() == {
            "query": "bei",
            "suggestions": [
                {"text": "北京旅游", "clients": 4, "title": False},
                {"text": "北京大学", "clients": 0, "title": True},
            ],
        }
        for params in ({"q": "bei", "limit": 0}, {"q": "bei", "limit": 11}, {"q": "x" * 101}, {}):
            bad = c.get("/suggest", params=params)
            assert bad.status_code == 422 and bad.json()["detail"], params
        assert c.get("/suggest", params={"q": ""}).json()["suggestions"] == []
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    capsys.readouterr()
    assert cli.main(["suggest", "bjdx", "--refresh", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["suggestions"] == [
        {"text": "北京大学", "clients": 0, "title": True}
    ]
    with loaded.connection() as conn:
        conn.execute("DELETE FROM search.suggest_terms; DELETE FROM search.suggest_prefixes")
    capsys.readouterr()
    assert cli.main(["suggest", "bei"]) == 0
    assert "suggest --refresh" in capsys.readouterr().err  # says why nothing is suggested
    assert cli.main(["suggest", "bei", "-n", "11"]) == 2
    assert cli.main(["suggest"]) == 2
