"""Totals and facet counts: exact (equal to a GROUP BY over the matched set computed here on its own, on
random filters), disjunctive (a field's own filter does not narrow its counts), numeric buckets, the
semantic part of the matched set, capping, and every path (HTTP GET/POST, CLI, analysts' SQL)."""

from __future__ import annotations

import json
import random
from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient
from psycopg_pool import ConnectionPool

from app import cli
from app.api.main import create_app
from app.config import Settings
from app.db import ReadPools, open_pool
from app.embedding.base import Embedder
from app.embedding.loader import ModelHolder
from app.errors import InvalidQuery
from app.ingest.documents import Document, FieldMap
from app.ingest.pipeline import ingest, upsert_documents
from app.ingest.readers import read_records
from app.search import Mode, SearchRequest, SearchService
from app.text import query_terms
from app.text.tsvector import quote_lexeme
from tests.conftest import DATA, LOCAL_CLIENT

BRANDS = ["Velorim", "Peaknetic", "Bicyk", "Nord", "Eva", "ScramBikes"]
TYPES = ["Kids bikes", "Road Bikes", "Mountain Bikes", "Commuter bikes"]


@pytest.fixture
def service(pool: ConnectionPool, tiny_m3: Embedder, settings: Settings) -> SearchService:
    fields = FieldMap(title_field="model", text_field="description")
    assert ingest(pool, tiny_m3, read_records(DATA / "bikes.json"), fields).written == 11
    return SearchService(pool, ModelHolder.ready(tiny_m3), settings)


def holds(metadata: dict[str, Any], filters: dict[str, Any]) -> bool:
    """The filter semantics of the README, for the kinds drawn below (equality, any, numeric range)."""
    for key, spec in filters.items():
        value = metadata.get(key)
        if isinstance(spec, dict) and "any" in spec:
            if value not in spec["any"]:
                return False
        elif isinstance(spec, dict):
            if not isinstance(value, int | float):
                return False
            if ("gte" in spec and value < spec["gte"]) or ("lt" in spec and value >= spec["lt"]):
                return False
        elif value != spec:
            return False
    return True


def matched(service: SearchService, q: str) -> dict[str, dict[str, Any]]:
    """The keyword matched set computed here: documents holding any of the query's terms."""
    tsquery = " | ".join(quote_lexeme(t) for t in dict.fromkeys(query_terms(q)))
    with service.pool.connection() as conn:
        rows = conn.execute(
            "SELECT external_id, metadata FROM documents WHERE tsv @@ %s::tsquery", [tsquery]
        ).fetchall()
    return {r[0]: r[1] for r in rows}


def random_filters(rng: random.Random) -> dict[str, Any]:
    f: dict[str, Any] = {}
    if rng.random() < 0.5:
        f["brand"] = rng.choice(BRANDS) if rng.random() < 0.5 else {"any": rng.sample(BRANDS, 2)}
    if rng.random() < 0.5:
        f["type"] = {"any": rng.sample(TYPES, rng.randint(1, 3))}
    if rng.random() < 0.5:
        low = rng.choice([0, 300, 600, 1000])
        f["price"] = {"gte": low, "lt": low + rng.choice([400, 800, 2000])}
    return f


def test_counts_are_a_group_by_over_the_matched_set(service: SearchService) -> None:
    rng = random.Random(11)
    for _ in range(25):
        q = rng.choice(["bike", "mountain bike", "kids", "light frame", "bike for the city"])
        filters = random_filters(rng)
        res = service.search(SearchRequest(q, Mode.keyword, limit=3, facets="brand,type", filters=filters))
        docs = matched(service, q)
        assert res.total == sum(holds(m, filters) for m in docs.values()), (q, filters)
        for field in ("brand", "type"):
            others = {k: v for k, v in filters.items() if k != field}  # disjunctive: not its own filter
            want = Counter(m[field] for m in docs.values() if holds(m, others) and field in m)
            got = {c.value: c.count for c in res.facets.get(field, [])}
            assert got == dict(want.most_common(10)), (q, filters, field)
        assert not res.counts_capped


def test_counted_beside_the_search_or_after_it(service: SearchService, db_url: str) -> None:
    """With a spare connection the counts run while the search does; with none free (a pool of one)
    after it, on the search's connection: the same answer."""
    req = SearchRequest("bike", Mode.hybrid, facets="brand,type", filters={"price": {"gte": 500}})
    beside = service.search(req)
    one = service.settings.model_copy(update={"db_pool_max": 1})
    single = open_pool(db_url, one, min_size=1)
    try:
        with single.connection() as held, ReadPools(single).spare() as none:
            assert held is not None and none is None  # the pool's only connection is taken
        alone = SearchService(single, service.models, one).search(req)
    finally:
        single.close()
    assert alone.facets == beside.facets and alone.total == beside.total > 0
    assert [h.id for h in alone.hits] == [h.id for h in beside.hits]


def test_choosing_a_brand_still_counts_the_others(service: SearchService) -> None:
    res = service.search(SearchRequest("bike", Mode.keyword, facets="brand", filters={"brand": "Velorim"}))
    brands = {c.value: c.count for c in res.facets["brand"]}
    assert len(brands) > 1 and brands["Velorim"] == res.total == len(res.hits)


def test_keyword_total_is_the_number_of_hits(service: SearchService) -> None:
    res = service.search(SearchRequest("bike", Mode.keyword, limit=100, total=True))
    assert res.total == len(res.hits) and res.facets == {}
    assert service.search(SearchRequest("bike", Mode.keyword)).total is None  # only when asked


def test_numeric_buckets_are_their_own_filters(service: SearchService) -> None:
    ranges = {"price": [500, 1000, 2000]}
    res = service.search(SearchRequest("bike", Mode.keyword, facets="price", facet_ranges=ranges))
    buckets = res.facets["price"]
    assert [b.value for b in buckets][0] == {"lt": 500}  # in order, lowest first
    assert sum(b.count for b in buckets) == res.total
    for b in buckets:  # each bucket's value, used as a filter, finds exactly that many
        hits = service.search(SearchRequest("bike", Mode.keyword, limit=100, filters={"price": b.value})).hits
        assert len(hits) == b.count


def test_facet_size_and_arrays(pool: ConnectionPool, tiny_m3: Embedder, settings: Settings) -> None:
    docs = [
        Document(f"t{i}", "", f"tagged document {i}", metadata={"tags": ["a", "b"][: 1 + i % 2]})
        for i in range(6)
    ]
    upsert_documents(pool, tiny_m3, docs)
    service = SearchService(pool, ModelHolder.ready(tiny_m3), settings)
    res = service.search(SearchRequest("tagged", Mode.keyword, facets="tags", facet_size=1))
    assert [(c.value, c.count) for c in res.facets["tags"]] == [("a", 6)]  # each element counts


def test_semantic_part_and_capping(pool: ConnectionPool, tiny_m3: Embedder, settings: Settings) -> None:
    docs = [
        Document(f"c{i}", "", f"common words here {i}", metadata={"n": i % 3, "tenth": i % 10 == 0})
        for i in range(150)
    ]
    upsert_documents(pool, tiny_m3, docs)
    open_floor = settings.model_copy(update={"facet_semantic_floor": -1.0, "facet_max_docs": 300})
    service = SearchService(pool, ModelHolder.ready(tiny_m3), open_floor)
    sem = service.search(SearchRequest("common words", Mode.semantic, facets="n"))
    assert sem.total == open_floor.rank_window and not sem.counts_capped  # the leg's window, above the floor
    exact = service.search(SearchRequest("common words", Mode.keyword, facets="n"))  # 2 x 150 postings
    assert not exact.counts_capped and exact.total == 150 and [c.count for c in exact.facets["n"]] == [50] * 3
    capped = settings.model_copy(update={"facet_max_docs": 299, "facet_sample_docs": 100})
    kw = SearchService(pool, ModelHolder.ready(tiny_m3), capped)
    est = kw.search(SearchRequest("common words", Mode.keyword, facets="n"))  # a sample of about 100, scaled
    assert est.counts_capped and 120 <= (est.total or 0) <= 180
    assert abs(sum(c.count for c in est.facets["n"]) - (est.total or 0)) <= 3  # each rounded
    assert all(30 <= c.count <= 70 for c in est.facets["n"])
    # a phrase: documents are read, exactly up to FACET_MAX_DOCS of them, beyond from a sample
    phrase = SearchRequest('"common words"', Mode.keyword, facets="n")
    assert kw.search(phrase).total == 150 and not kw.search(phrase).counts_capped
    fewer = settings.model_copy(update={"facet_max_docs": 100, "facet_sample_docs": 100})
    sampled = SearchService(pool, ModelHolder.ready(tiny_m3), fewer).search(phrase)
    assert sampled.counts_capped and 120 <= (sampled.total or 0) <= 180
    # a condition leaving few: the sample shows it, and those few are read whole
    few = kw.search(SearchRequest("common words", Mode.keyword, facets="n", filters={"tenth": True}))
    assert not few.counts_capped and few.total == 15 and sum(c.count for c in few.facets["n"]) == 15
    closed = SearchService(
        pool, ModelHolder.ready(tiny_m3), settings.model_copy(update={"facet_semantic_floor": 1.0})
    )
    assert closed.search(SearchRequest("zzz", Mode.semantic, total=True)).total == 0


def test_capped_counts_are_a_uniform_sample(
    pool: ConnectionPool, tiny_m3: Embedder, settings: Settings
) -> None:
    """Documents loaded source by source (as the bench's corpus is): a capped count that read the
    first matches would see one source only; the sample sees both, in proportion."""
    docs = [
        Document(f"s{i}", "", f"shared words {i}", metadata={"src": "a" if i < 300 else "b"})
        for i in range(600)
    ]
    upsert_documents(pool, tiny_m3, docs)
    capped = settings.model_copy(update={"facet_max_docs": 200, "facet_sample_docs": 200})
    res = SearchService(pool, ModelHolder.ready(tiny_m3), capped).search(
        SearchRequest("shared", Mode.keyword, facets="src")
    )
    counts = {c.value: c.count for c in res.facets["src"]}
    assert res.counts_capped and 450 <= (res.total or 0) <= 750
    assert counts.keys() == {"a", "b"} and all(200 <= n <= 400 for n in counts.values()), counts


def test_counts_follow_an_analysts_metadata_update(service: SearchService) -> None:
    """Postings carry their document's metadata group: an UPDATE of the metadata by SQL moves them."""
    with service.pool.connection() as conn:
        moved = conn.execute(
            "UPDATE documents SET metadata = jsonb_set(metadata, '{brand}', '\"Renamed\"') "
            "WHERE metadata->>'brand' = 'Velorim'"
        ).rowcount
    assert moved > 0
    rng = random.Random(5)
    seen: Counter[str] = Counter()
    for _ in range(8):
        filters = random_filters(rng)
        res = service.search(SearchRequest("bike", Mode.keyword, limit=3, facets="brand", filters=filters))
        docs = matched(service, "bike")
        others = {k: v for k, v in filters.items() if k != "brand"}
        want = Counter(m["brand"] for m in docs.values() if holds(m, others) and "brand" in m)
        got = {c.value: c.count for c in res.facets.get("brand", [])}
        assert got == dict(want.most_common(10)), filters
        seen.update(got)
    assert seen["Renamed"] > 0 and "Velorim" not in seen


@pytest.mark.parametrize(
    "options",
    [
        {"facets": "a..b"},
        {"facets": ",".join(f"f{i}" for i in range(11))},
        {"facets": "price", "facet_ranges": {"price": [5, 1]}},
        {"facets": "brand", "facet_ranges": {"price": [1]}},
        {"facets": "brand", "mode": "sparse"},
    ],
)
def test_bad_facets_are_refused(service: SearchService, options: dict[str, Any]) -> None:
    with pytest.raises(InvalidQuery):
        service.search(SearchRequest("bike", **{"mode": "keyword", **options}))


def test_http_cli_and_sql(
    service: SearchService,
    pool: ConnectionPool,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = create_app(settings, pool=pool, models=service.models)
    with TestClient(app, client=LOCAL_CLIENT) as c:
        params = {
            "q": "bike",
            "mode": "keyword",
            "facets": "brand,price",
            "facet_ranges": '{"price": [1000]}',
        }
        got = c.get("/search", params=params).json()
        posted = c.post("/search", json={**params, "facet_ranges": {"price": [1000]}}).json()
        assert got["facets"] == posted["facets"] and got["total"] == posted["total"] > 0
        assert [b["value"] for b in got["facets"]["price"]] == [{"lt": 1000}, {"gte": 1000}]
        bad = c.get("/search", params={**params, "facet_ranges": "[1"})
        assert bad.status_code == 422
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    assert cli.main(["search", "bike", "--mode", "keyword", "--facets", "brand", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["facets"]["brand"] == got["facets"]["brand"]
    with pool.connection() as conn:  # analysts call the same function
        rows = conn.execute(
            "SELECT field, value, count FROM search.facets(%s, ARRAY['brand'], base => NULL)",
            [query_terms("bike")],
        ).fetchall()
    assert rows[0][0] is None and rows[0][2] == got["total"]
    assert [{"value": r[1], "count": r[2]} for r in rows[1:]] == got["facets"]["brand"]
    # sql-params prints the facets statement /search runs; run as printed, it answers the same
    args = ["sql-params", "bike", "--mode", "keyword", "--facets", "brand", "--filters", '{"brand": "Nord"}']
    assert cli.main([*args, "--no-vector"]) == 0
    printed = capsys.readouterr().out.splitlines()
    statement = printed[-1].replace(":'terms'", "%s")
    with pool.connection() as conn:
        rows = conn.execute(statement, [query_terms("bike")]).fetchall()
    want = service.search(SearchRequest("bike", Mode.keyword, facets="brand", filters={"brand": "Nord"}))
    assert rows[0][2] == want.total and [(r[1], r[2]) for r in rows[1:]] == [
        (c.value, c.count) for c in want.facets["brand"]
    ]
