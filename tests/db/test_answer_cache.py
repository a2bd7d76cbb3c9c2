"""Kept answers (ANSWER_CACHE_SIZE): a repeated search is given again, never after a write that could
change it (documents by any path, synonyms, curations, a timed curation starting), and only identical
requests share one."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from fastapi.testclient import TestClient
from psycopg_pool import ConnectionPool

from app import store
from app.api.main import create_app
from app.config import Settings
from app.embedding.base import Embedder
from app.embedding.loader import ModelHolder
from app.ingest.documents import Document
from app.ingest.pipeline import upsert_documents
from app.search import Mode, SearchRequest, SearchResult, SearchService
from app.search.answer_cache import AnswerCache, answer_key
from app.search.curations import add_curation
from app.search.synonyms import add_rules, parse_rule
from tests.conftest import LOCAL_CLIENT

DOCS = [Document(f"b{i}", f"Bike {i}", f"A mountain bike, model {i}.", None, {"n": i}) for i in range(6)]


@pytest.fixture
def service(pool: ConnectionPool, tiny_m3: Embedder, settings: Settings) -> SearchService:
    upsert_documents(pool, tiny_m3, DOCS)
    return SearchService(pool, ModelHolder.ready(tiny_m3), settings)


def ask(
    service: SearchService, q: str = "mountain bike", mode: Mode = Mode.keyword, **kw: object
) -> SearchResult:
    return service.search(SearchRequest(q, mode, **{"limit": 20, **kw}))


def hit_ids(result: SearchResult) -> list[str]:
    return [h.id for h in result.hits]


@pytest.mark.parametrize("mode", [Mode.keyword, Mode.semantic, Mode.hybrid])
def test_a_repeated_search_is_given_again(service: SearchService, mode: Mode) -> None:
    first = ask(service, mode=mode)
    again = ask(service, mode=mode)
    assert not first.cached and again.cached and again.timings_ms.keys() == {"cache", "total"}
    assert again.model_dump(exclude={"cached", "timings_ms"}) == first.model_dump(
        exclude={"cached", "timings_ms"}
    )
    assert not ask(service, mode=mode, limit=5).cached  # another request: its own answer
    assert ask(service, mode=mode, limit=5).cached


def test_never_given_after_a_write(service: SearchService, pool: ConnectionPool, tiny_m3: Embedder) -> None:
    before = hit_ids(ask(service))
    assert ask(service).cached
    upsert_documents(pool, tiny_m3, [Document("new", "", "mountain bike mountain bike", None, {})])
    after = ask(service)
    assert not after.cached and "new" in hit_ids(after) and set(before) < set(hit_ids(after))
    assert ask(service).cached
    with pool.connection() as conn:
        assert store.delete_document(conn, "new")
    assert not ask(service).cached and "new" not in hit_ids(ask(service))
    with pool.connection() as conn:  # an analyst's SQL, no service involved
        conn.execute("UPDATE documents SET metadata = '{\"n\": 99}' WHERE external_id = 'b1'")
    changed = ask(service, filters={"n": 99})
    assert not ask(service).cached and hit_ids(changed) == ["b1"]
    with pool.connection() as conn:
        conn.execute("DELETE FROM documents WHERE external_id = 'b2'")
    assert "b2" not in hit_ids(ask(service))


def test_never_given_after_synonyms_or_curations(service: SearchService, pool: ConnectionPool) -> None:
    assert hit_ids(ask(service, "bicycle")) == []
    assert ask(service, "bicycle").cached
    with pool.connection() as conn:
        rule = parse_rule("bicycle, bike")
        assert rule is not None
        add_rules(conn, [rule])
    assert len(hit_ids(ask(service, "bicycle"))) == len(DOCS)
    with pool.connection() as conn:
        add_curation(conn, "bicycle", ["b4"], ["b0"])
    curated = ask(service, "bicycle")
    assert not curated.cached and hit_ids(curated)[0] == "b4" and "b0" not in hit_ids(curated)
    with pool.connection() as conn:  # analysts' SQL removes it
        conn.execute("DELETE FROM search.curations")
    assert "b0" in hit_ids(ask(service, "bicycle"))


def test_a_timed_curation_starting_or_ending_changes_the_version(
    service: SearchService, pool: ConnectionPool
) -> None:
    starts = datetime.now(UTC) + timedelta(seconds=1.5)
    with pool.connection() as conn:
        add_curation(
            conn, "mountain bike", ["b5"], [], starts_at=starts, ends_at=starts + timedelta(seconds=1.5)
        )
    assert hit_ids(ask(service))[0] == "b0" and ask(service).cached  # not yet in force
    time.sleep(max((starts - datetime.now(UTC)).total_seconds(), 0) + 0.2)
    during = ask(service)
    assert not during.cached and hit_ids(during)[0] == "b5" and during.hits[0].pinned
    time.sleep(1.6)
    assert hit_ids(ask(service))[0] == "b0"  # ended: no write happened, the answer is not the kept one


def test_degraded_answers_and_given_sparse_vectors_are_not_kept(
    pool: ConnectionPool, tiny_m3: Embedder, settings: Settings
) -> None:
    upsert_documents(pool, tiny_m3, DOCS)
    service = SearchService(pool, ModelHolder.unavailable("no model here"), settings)
    assert ask(service, mode=Mode.hybrid).degraded and not ask(service, mode=Mode.hybrid).cached
    assert len(service.answers) == 0
    off = SearchService(
        pool, ModelHolder.ready(tiny_m3), settings.model_copy(update={"answer_cache_size": 0})
    )
    assert not ask(off).cached and not ask(off).cached
    req = SearchRequest("bike", Mode.hybrid)
    assert answer_key(req, None, object(), True) is None
    v = np.ones(4, dtype=np.float32)
    assert (
        answer_key(req, v, None, True)
        == answer_key(req, v.copy(), None, True)
        != answer_key(req, -v, None, True)
    )
    assert answer_key(req, None, None, True) != answer_key(req, None, None, False)


def test_the_least_recently_used_answer_goes_first() -> None:
    cache = AnswerCache(2)
    answers = {k: SearchResult(query=k, mode=Mode.keyword, terms=[], limit=1, offset=0) for k in "abc"}
    cache.put("a", "1", answers["a"])
    cache.put("b", "1", answers["b"])
    assert cache.get("a", "1") is answers["a"]  # a is now the most recent
    cache.put("c", "1", answers["c"])
    assert cache.get("b", "1") is None and cache.get("a", "1") is answers["a"] and len(cache) == 2
    assert cache.get("a", "2") is None and len(cache) == 1  # another version: dropped


def test_api_answers_given_again_carry_their_own_search_id(
    service: SearchService, settings: Settings
) -> None:
    app = create_app(settings, pool=service.pool, models=service.models)
    with TestClient(app, client=LOCAL_CLIENT) as c:
        one = c.get("/search", params={"q": "mountain bike", "mode": "keyword"}).json()
        two = c.get("/search", params={"q": "mountain bike", "mode": "keyword"}).json()
    assert not one["cached"] and two["cached"] and one["search_id"] != two["search_id"]
    assert one["hits"] == two["hits"]


def test_kept_only_under_the_version_the_search_itself_saw(
    service: SearchService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The version is looked up before the model runs, on any read connection; the answer is filed only
    if the search's own connection saw that version too (a replica behind the other would otherwise
    file an older answer under a newer version)."""
    monkeypatch.setattr(service, "_answers_version", lambda: "999999")
    assert not ask(service).cached and not ask(service).cached and len(service.answers) == 0
    monkeypatch.undo()
    ask(service)
    assert ask(service).cached and len(service.answers) == 1
