"""Curations: pinned documents first (in order, flagged), hidden ones gone, in every mode, pages still
slices of one list, filters still applying, time windows, and the CLI, the admin endpoint (API key)
and analysts' SQL agreeing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from psycopg_pool import ConnectionPool

from app import cli
from app.api.main import create_app
from app.config import Settings
from app.embedding.base import Embedder
from app.embedding.loader import ModelHolder
from app.errors import InvalidQuery
from app.ingest.documents import Document
from app.ingest.pipeline import upsert_documents
from app.search import Mode, SearchRequest, SearchService
from app.search.curations import add_curation
from tests.conftest import LOCAL_CLIENT

DOCS = [
    Document(
        f"b{i}",
        f"Bike {i}",
        f"A mountain bike, model {i}." if i < 8 else "A city bicycle.",
        None,
        {"kind": "mtb" if i % 2 else "road"},
    )
    for i in range(12)
]


@pytest.fixture
def service(pool: ConnectionPool, tiny_m3: Embedder, settings: Settings) -> SearchService:
    upsert_documents(pool, tiny_m3, DOCS)
    return SearchService(pool, ModelHolder.ready(tiny_m3), settings)


def ids(service: SearchService, q: str, mode: Mode = Mode.keyword, **options: object) -> list[str]:
    return [h.id for h in service.search(SearchRequest(q, mode, **{"limit": 50, **options})).hits]


@pytest.mark.parametrize("mode", [Mode.keyword, Mode.semantic, Mode.hybrid])
def test_pinned_first_hidden_gone_pages_one_list(
    service: SearchService, pool: ConnectionPool, mode: Mode
) -> None:
    before = ids(service, "mountain bike", mode)
    other = ids(service, "mountain bikes are fun", mode)
    with pool.connection() as conn:
        add_curation(conn, "Mountain  Bike", ["b10", "b3"], ["b5"])  # b10 is not even a match
    after = service.search(SearchRequest("mountain bike", mode, limit=50))
    got = [h.id for h in after.hits]
    assert got[:2] == ["b10", "b3"] and [h.pinned for h in after.hits[:3]] == [True, True, False]
    assert "b5" not in got and got[2:] == [i for i in before if i not in ("b10", "b3", "b5")]
    pages = [
        h.id
        for o in range(len(got))
        for h in service.search(SearchRequest("mountain bike", mode, limit=1, offset=o)).hits
    ]
    assert pages == got
    # Another query is untouched: the same list as before, nothing pinned. (Not "b10 is not first": the
    # tiny model's tokenizer is trained anew each session, so its semantic order differs by session.)
    untouched = service.search(SearchRequest("mountain bikes are fun", mode, limit=50))
    assert [h.id for h in untouched.hits] == other and not any(h.pinned for h in untouched.hits)


def test_filters_still_apply_and_windows_expire(service: SearchService, pool: ConnectionPool) -> None:
    now = datetime.now(UTC)
    with pool.connection() as conn:
        add_curation(conn, "bike", ["b2", "b3"], [])
        add_curation(conn, "city", ["b1"], [], ends_at=now - timedelta(minutes=1))  # over
        add_curation(conn, "model", ["b9"], [], starts_at=now + timedelta(hours=1))  # not yet
    assert ids(service, "bike", filters={"kind": "mtb"})[:1] == ["b3"]  # b2 is road: filtered out
    assert ids(service, "city")[:1] != ["b1"] and ids(service, "model")[:1] != ["b9"]
    with pytest.raises(InvalidQuery), pool.connection() as conn:
        add_curation(conn, "bike", ["b1"], ["b1"])


def test_cli_endpoint_and_sql(
    service: SearchService,
    pool: ConnectionPool,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    organic = ids(service, "mountain bike")
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    assert cli.main(["curations", "add", "mountain bike", "--pin", "b7", "--hide", "b0"]) == 0
    with pytest.raises(SystemExit) as bad_time:  # argparse's refusal: exit 2 with the reason
        cli.main(["curations", "add", "x", "--pin", "b1", "--starts", "tomorrow"])
    assert bad_time.value.code == 2
    assert cli.main(["curations", "add", "x"]) == 2  # nothing pinned or hidden
    capsys.readouterr()
    assert cli.main(["curations", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(c["query_key"], c["pinned"], c["hidden"]) for c in listed] == [("mountain bike", ["b7"], ["b0"])]
    got = ids(service, "mountain bike")
    assert got[0] == "b7" and "b0" not in got
    with pool.connection() as conn:  # analysts: the search's own ids in curated order
        own = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM search.keyword(%s, 50, 0)", [["mountain", "bike"]]
            ).fetchall()
        ]
        curated = conn.execute("SELECT id FROM search.curate('mountain bike', %s)", [own]).fetchall()
    assert [r[0] for r in curated] == got

    keyed = settings.model_copy(update={"api_keys": ["k"]})
    with TestClient(create_app(keyed, pool=pool, models=service.models), client=LOCAL_CLIENT) as c:
        assert c.get("/curations").status_code == 401
        auth = {"Authorization": "Bearer k"}
        added = c.post("/curations", json={"query": "bike", "hidden": ["b1"]}, headers=auth)
        assert added.status_code == 200 and added.json()["query_key"] == "bike"
        assert c.post("/curations", json={"query": "bike"}, headers=auth).status_code == 422
        hits = c.get("/search", params={"q": "mountain bike", "mode": "keyword"}).json()["hits"]
        assert hits[0]["id"] == "b7" and hits[0]["pinned"] is True and hits[1]["pinned"] is False
        assert c.delete(f"/curations/{added.json()['id']}", headers=auth).status_code == 204
        assert c.delete("/curations/999999", headers=auth).status_code == 404
    assert cli.main(["curations", "remove", str(listed[0]["id"])]) == 0
    assert ids(service, "mountain bike") == organic  # removed: the next search is the search's own
    assert cli.main(["curations", "remove", "999999"]) == 2


def test_totals_and_facets_count_what_the_answer_lists(service: SearchService, pool: ConnectionPool) -> None:
    """A pinned document the query does not match is counted, a hidden one that it does is not: the
    total stays the number of documents listed, and facets count them."""
    req = SearchRequest("mountain", Mode.keyword, limit=50, facets="kind")
    before = service.search(req)
    with pool.connection() as conn:
        add_curation(conn, "mountain", ["b10"], ["b5"])  # b10: a city bicycle (road); b5: mtb, a match
    after = service.search(req)
    assert "b10" not in [h.id for h in before.hits] and before.total == len(before.hits) == 8
    assert after.total == len(after.hits) == 8 and after.hits[0].id == "b10"
    counts = {f.value: f.count for f in before.facets["kind"]}
    assert {f.value: f.count for f in after.facets["kind"]} == {
        "road": counts["road"] + 1,
        "mtb": counts["mtb"] - 1,
    }
    # under a filter the pinned document fails, it is not listed nor in the total; the field's own
    # counts (disjunctive) still show it as a road bike, which choosing road would list
    mtb = service.search(
        SearchRequest("mountain", Mode.keyword, limit=50, facets="kind", filters={"kind": "mtb"})
    )
    assert "b10" not in [h.id for h in mtb.hits] and mtb.total == len(mtb.hits) == counts["mtb"] - 1
    assert {f.value: f.count for f in mtb.facets["kind"]}["road"] == counts["road"] + 1


@pytest.mark.parametrize("mode", [Mode.keyword, Mode.semantic, Mode.hybrid])
def test_a_curation_added_after_searches_without_rules_applies_at_once(
    service: SearchService, pool: ConnectionPool, mode: Mode
) -> None:
    """While the database holds no rule the service sends a search's statement with its context (one
    round trip); a curation stored meanwhile is still applied by the very next search."""
    before = ids(service, "mountain bike", mode)
    assert ids(service, "mountain bike", mode) == before  # sent ahead now: the same answer
    with pool.connection() as conn:
        add_curation(conn, "mountain bike", ["b11"], [before[0]])
    after = ids(service, "mountain bike", mode)
    assert after[0] == "b11" and before[0] not in after
