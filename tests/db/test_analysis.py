"""Language handling: Snowball stemming, stop words, jieba user dictionaries, and the analyze views."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from psycopg_pool import ConnectionPool

from app import cli
from app.api.main import create_app
from app.config import Settings, analyzer_config
from app.embedding.base import Embedder
from app.embedding.loader import ModelHolder
from app.ingest.documents import Document
from app.ingest.pipeline import upsert_documents
from app.search import Mode, SearchRequest, SearchService
from app.text import configure
from app.text.tokenizer import AnalyzerConfig


def test_stemmed_search_and_highlight(pool: ConnectionPool, tiny_m3: Embedder, settings: Settings) -> None:
    upsert_documents(
        pool,
        tiny_m3,
        [Document("e", "Engines", "Search engines are searching the web."), Document("o", "", "other text")],
    )
    service = SearchService(pool, ModelHolder.ready(tiny_m3), settings)
    res = service.search(SearchRequest("searched engine", Mode.keyword))
    assert [h.id for h in res.hits] == ["e"] and res.terms == ["search", "engin"]
    assert (
        res.hits[0].highlight
        == "<mark>Search</mark> <mark>engines</mark> are <mark>searching</mark> the web."
    )


def test_changing_the_analyzer_re_tokenises_on_re_ingest(
    pool: ConnectionPool, tiny_m3: Embedder, restore_analyzer: None
) -> None:
    docs = [Document("a", "", "running dogs")]
    assert upsert_documents(pool, tiny_m3, docs)[:2] == (1, 0)
    assert upsert_documents(pool, tiny_m3, docs)[:2] == (0, 1)
    configure(AnalyzerConfig(stemmer_language=None))
    assert upsert_documents(pool, tiny_m3, docs)[:2] == (1, 0)
    with pool.connection() as conn:
        assert conn.execute("SELECT term FROM search.postings ORDER BY term").fetchall() == [
            ("dogs",),
            ("running",),
        ]


def test_analyze_endpoint_and_cli(
    pool: ConnectionPool,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with TestClient(create_app(settings, pool=pool, models=ModelHolder.unavailable("none"))) as c:
        doc = c.get("/analyze", params={"text": "中华人民共和国 Searches"}).json()
        assert [t["term"] for t in doc["tokens"]] == [
            "中华",
            "华人",
            "人民",
            "共和",
            "共和国",
            "中华人民共和国",
            "search",
        ]
        q = c.get("/analyze", params={"text": "中华人民共和国", "mode": "query"}).json()
        assert [t["term"] for t in q["tokens"]] == ["中华人民共和国"] and q["mode"] == "query"
        assert q["pinyin"] is None  # a query in characters is not read as pinyin
        typed = c.get("/analyze", params={"text": "chongqing", "mode": "query"}).json()
        assert typed["pinyin"] == "('chong' <-> 'qing')"
        field = c.get("/analyze", params={"text": "重慶"}).json()  # a field's pinyin, from the folded text
        assert field["pinyin"] == "'chong':1 'qing':2 '~cq':1"
        assert c.get("/analyze", params={"text": ""}).status_code == 422
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    assert cli.main(["analyze", "running 北京", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [t["term"] for t in out["tokens"]] == ["run", "北京"]
    assert analyzer_config(settings) == AnalyzerConfig()


def test_traditional_and_simplified_find_each_other(
    pool: ConnectionPool, tiny_m3: Embedder, settings: Settings
) -> None:
    upsert_documents(
        pool,
        tiny_m3,
        [
            Document("tw", "臺灣軟體", "臺灣的軟體產業在網際網路時代發展很快。"),
            Document("cn", "台湾软件", "台湾的软件产业发展很快。"),
            Document("other", "天气", "今天的天气很好。"),
        ],
    )
    service = SearchService(pool, ModelHolder.ready(tiny_m3), settings)
    for query in ("台湾 软件", "臺灣 軟體"):
        res = service.search(SearchRequest(query, Mode.keyword))
        assert {h.id for h in res.hits} == {"tw", "cn"} and res.terms == ["台湾", "软件"], query
        by_id = {h.id: h for h in res.hits}
        assert "<mark>臺灣</mark>的<mark>軟體</mark>" in by_id["tw"].highlight  # shown as written
        assert "<mark>台湾</mark>的<mark>软件</mark>" in by_id["cn"].highlight
    # 網際網路 folds character by character (its phrase form has another length): found as written
    assert [h.id for h in service.search(SearchRequest("網際網路", Mode.keyword)).hits] == ["tw"]
