"""Language handling: Snowball stemming, stop words, jieba user dictionaries, and the analyze views."""

from __future__ import annotations

import json
from collections.abc import Iterator

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


@pytest.fixture
def restore_analyzer() -> Iterator[None]:
    yield
    configure(AnalyzerConfig())


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
        assert c.get("/analyze", params={"text": ""}).status_code == 422
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    assert cli.main(["analyze", "running 北京", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [t["term"] for t in out["tokens"]] == ["run", "北京"]
    assert analyzer_config(settings) == AnalyzerConfig()
