"""Metadata filters: validation, and both legs honour them without silently losing hits."""

from __future__ import annotations

import random
from typing import Any

import pytest
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from app.config import Settings
from app.embedding.base import Embedder
from app.embedding.loader import ModelHolder
from app.errors import InvalidQuery
from app.ingest.documents import Document, FieldMap
from app.ingest.pipeline import ingest, upsert_documents
from app.ingest.readers import read_records
from app.search import Mode, SearchRequest, SearchService
from app.search.filters import normalize_filters
from tests.conftest import DATA, rows_read


def test_normalize_filters_forms() -> None:
    assert normalize_filters(None) is None
    f = normalize_filters(
        {
            "brand": "Velorim",
            "specs.material": "alloy",
            "type": {"any": ["Kids bikes", "Road Bikes"]},
            "price": {"gte": 100, "lt": 500.5},
            "released": {"gte": "2024-01-01"},
            "url": {"exists": True},
        }
    )
    assert f is not None
    # the conditions also travel compiled (sql/04_filters.sql): names and values only as variables
    path, variables = f.pop("jsonpath"), f.pop("vars")
    assert path.startswith("strict ") and f.pop("rowwise") is True  # a date range: sifted, then checked
    assert not any(word in path for word in ("Kids", "Road", "price", "released", "url", "2024"))
    assert variables["c0p0"] == "type" and variables["c0string"] == ["Kids bikes", "Road Bikes"]
    assert variables["c1gte"] == 100 and variables["c1lt"] == 500.5
    assert f == {
        "contains": {"brand": "Velorim", "specs": {"material": "alloy"}},
        "conditions": [
            {"path": ["type"], "op": "in", "values": ["Kids bikes", "Road Bikes"]},
            {"path": ["price"], "op": "range", "gte": 100, "lt": 500.5},
            {"path": ["released"], "op": "range", "type": "date", "gte": "2024-01-01"},
            {"path": ["url"], "op": "exists"},
        ],
    }


@pytest.mark.parametrize(
    "bad",
    [
        {"price": {"gte": "cheap"}},
        {"price": {"gte": 1, "lte": "2024-01-01"}},
        {"price": {"between": [1, 2]}},
        {"type": {"any": []}},
        {"type": {"any": [{"nested": 1}]}},
        {"x": {"exists": False}},
        {"": 1},
        {"a..b": 1},
        {".".join(["a"] * 9): 1},
        {"x": [1, 2]},
        {"specs": "x", "specs.material": "alloy"},
        {f"f{i}": i for i in range(33)},
        {"price": {"gte": float("nan")}},
    ],
)
def test_bad_filters_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(InvalidQuery):
        normalize_filters(bad)


@pytest.fixture
def service(pool: ConnectionPool, minilm: Embedder, settings: Settings) -> SearchService:
    fields = FieldMap(title_field="model", text_field="description")
    assert ingest(pool, minilm, read_records(DATA / "bikes.json"), fields).written == 11
    return SearchService(pool, ModelHolder.ready(minilm), settings)


def metadata_of(service: SearchService) -> dict[str, dict[str, Any]]:
    with service.pool.connection() as conn:
        return {r[0]: r[1] for r in conn.execute("SELECT external_id, metadata FROM documents").fetchall()}


CASES: list[tuple[dict[str, Any], Any]] = [
    ({"brand": "Velorim"}, lambda m: m["brand"] == "Velorim"),
    ({"type": {"any": ["Kids bikes", "Road Bikes"]}}, lambda m: m["type"] in ("Kids bikes", "Road Bikes")),
    ({"price": {"gte": 300, "lte": 1200}}, lambda m: 300 <= m["price"] <= 1200),
    ({"specs.material": "alloy"}, lambda m: m["specs"]["material"] == "alloy"),
    ({"specs.weight": {"exists": True}, "price": {"lt": 1000}}, lambda m: m["price"] < 1000),
    ({"nope": {"exists": True}}, lambda m: False),
]


@pytest.mark.parametrize(("filters", "predicate"), CASES)
def test_every_leg_returns_exactly_the_matching_documents(
    service: SearchService, filters: dict[str, Any], predicate: Any
) -> None:
    expected = {i for i, m in metadata_of(service).items() if predicate(m)}
    for mode in (Mode.keyword, Mode.semantic, Mode.hybrid):  # MiniLM has no sparse head: see test_sparse
        res = service.search(SearchRequest("bike", mode, limit=20, filters=filters))
        got = {h.id for h in res.hits}
        assert got <= expected, (mode, filters)
        assert res.complete
        if mode is not Mode.keyword:  # not every description says "bike"
            assert got == expected, (mode, filters)


def test_index_path_with_filter_is_exact_or_says_it_is_incomplete(
    service: SearchService, minilm: Embedder
) -> None:
    """Force the HNSW path (exact_below = 0): with its scan budget it finds every match; with a budget
    too small to, it says the list is incomplete instead of silently returning fewer."""
    vec = minilm.encode(["a bike for kids"])[0]
    f = Jsonb(normalize_filters({"type": {"any": ["Kids bikes", "Mountain Bikes"]}}))
    sql = "SELECT doc_id FROM search.semantic_ranks(%s, 50, %s, 100, %s)"
    complete = "SELECT current_setting('search.semantic_complete')"
    with service.pool.connection() as conn:
        exact = conn.execute(sql, [vec, f, 1000]).fetchall()
        assert conn.execute(complete).fetchone() == ("true",)
        forced = conn.execute(sql, [vec, f, 0]).fetchall()
        assert forced == exact and len(exact) >= 3
        assert conn.execute(complete).fetchone() == ("true",)
        # what a search reads in its own statement (search.legs_complete(), a column of each hit)
        flagged = (
            "SELECT r.doc_id, search.legs_complete() FROM search.semantic_ranks(%s, 50, %s, 100, %s) AS r"
        )
        assert [c for _, c in conn.execute(flagged, [vec, f, 0]).fetchall()] == [True] * len(exact)
        conn.execute("SET hnsw.max_scan_tuples = 1")
        short = conn.execute(sql, [vec, f, 0]).fetchall()
        if len(short) < len(exact):
            assert conn.execute(complete).fetchone() == ("false",)
            rows = conn.execute(flagged, [vec, f, 0]).fetchall()
            assert rows and not any(c for _, c in rows)
        conn.execute("RESET hnsw.max_scan_tuples")
        # a leg that says so only after its last row: every row of the statement still carries the end
        conn.execute(
            "CREATE OR REPLACE FUNCTION pg_temp.short_leg() RETURNS SETOF integer LANGUAGE plpgsql AS $$"
            " BEGIN PERFORM set_config('search.semantic_complete', 'true', true); RETURN QUERY SELECT 1;"
            " RETURN QUERY SELECT 2; PERFORM set_config('search.semantic_complete', 'false', true); END $$"
        )
        late = "SELECT r, search.legs_complete() FROM pg_temp.short_leg() AS r JOIN (SELECT 1) AS o ON true"
        assert conn.execute(late).fetchall() == [(1, False), (2, False)]


def test_date_ranges(pool: ConnectionPool, tiny_m3: Embedder, settings: Settings) -> None:
    docs = [
        Document("a", "", "新闻 一", metadata={"published": "2023-05-01"}),
        Document("b", "", "新闻 二", metadata={"published": "2024-02-10T08:00:00+08:00"}),
        Document("c", "", "新闻 三", metadata={"published": "not a date"}),
        Document("d", "", "新闻 四", metadata={"published": 2024}),
    ]
    upsert_documents(pool, tiny_m3, docs)
    service = SearchService(pool, ModelHolder.ready(tiny_m3), settings)
    res = service.search(SearchRequest("新闻", Mode.keyword, filters={"published": {"gte": "2024-01-01"}}))
    assert [h.id for h in res.hits] == ["b"]
    res = service.search(SearchRequest("新闻", Mode.semantic, filters={"published": {"lt": "2024-01-01"}}))
    assert [h.id for h in res.hits] == ["a"]


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    r = rng.random()
    if depth < 2 and r < 0.2:
        return {k: _random_value(rng, depth + 1) for k in rng.sample(PARITY_KEYS, rng.randint(0, 3))}
    if depth < 2 and r < 0.35:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return rng.choice(PARITY_SCALARS)


PARITY_KEYS = ["a", "b", "c", "0", "键", "a b", 'q"uote', "$x"]
PARITY_SCALARS: list[Any] = [None, True, False, 0, 1, 1.0, 2.5, -3, 10**20, "x", "", "1", "2024-01-01"]
PARITY_SCALARS += ["2023-12-31T23:00:00Z", "2024-05-01T08:00:00+08:00"]


def _random_filter(rng: random.Random) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for _ in range(rng.randint(1, 3)):
        key = ".".join(
            rng.choice(["a", "b", "c", "键", "a b", 'q"uote', "$x"]) for _ in range(rng.randint(1, 2))
        )
        op = rng.choice(["exists", "any", "range"])
        if op == "exists":
            out[key] = {"exists": True}
        elif op == "any":
            out[key] = {"any": [rng.choice(PARITY_SCALARS) for _ in range(rng.randint(1, 4))]}
        else:
            bounds = rng.sample(["gte", "gt", "lte", "lt"], rng.randint(1, 2))
            dates = rng.random() < 0.3  # sifted by the jsonpath, decided row by row
            values = ["2023-06-01", "2024-01-01T00:00:00+08:00"] if dates else [0, 1, 2.5, -3, 10**20, 0.5]
            out[key] = {b: rng.choice(values) for b in bounds}
    return out


def test_compiled_filters_mean_what_the_row_by_row_check_means(pool: ConnectionPool) -> None:
    """The jsonpath a filter compiles to (sql/04_filters.sql) accepts exactly the metadata the row-by-row
    check accepts: random metadata (nested objects, arrays, nulls, 1 vs 1.0, big numbers, odd keys) against
    random exists / any / range filters, with field names that would break a path built as text."""
    rng = random.Random(7)
    compiled = 0
    with pool.connection() as conn:
        for _ in range(3000):
            metadata = {k: _random_value(rng) for k in rng.sample(PARITY_KEYS, rng.randint(0, 5))}
            f = normalize_filters(_random_filter(rng))
            assert f is not None and "conditions" in f
            compiled += "jsonpath" in f
            rowwise = {k: v for k, v in f.items() if k not in ("jsonpath", "vars", "rowwise")}
            slow, fast = conn.execute(
                "SELECT search.conditions_hold_rowwise(%s, %s), search.conditions_hold(%s, %s)",
                [Jsonb(metadata), Jsonb(rowwise), Jsonb(metadata), Jsonb(f)],
            ).fetchone()  # type: ignore[misc]
            assert slow == fast, (metadata, f)
    assert compiled == 3000
    for index in ("tags.0", "tags.-1", "tags. 2"):  # PostgreSQL reads these as array indexes
        digits = normalize_filters({index: {"exists": True}})
        assert digits is not None and "jsonpath" not in digits  # left to the row-by-row check


def test_the_semantic_leg_tests_a_filter_along_its_stream(pool: ConnectionPool, tiny_m3: Embedder) -> None:
    """Along the HNSW stream a filter is checked on each passage's document as the index yields it
    (migration 0032): it was planned as a hash of every matching document, built before the first passage
    (the whole table read for a filter most documents pass)."""
    rng = random.Random(3)
    words = ["自行车", "山地", "城市", "儿童", "轻便", "公路", "折叠", "电动"]
    docs = [Document(f"s{i}", "", " ".join(rng.sample(words, 3)) + f" 第{i}款") for i in range(150)]
    upsert_documents(pool, tiny_m3, docs)
    vec = tiny_m3.encode_queries(["轻便的城市自行车"])[0]
    sql = "SELECT doc_id FROM search.semantic_ranks(%s, 5, %s, 100, 0)"  # exact_below 0: the index
    with pool.connection() as conn, conn.transaction():  # the transaction's own table counters
        before = rows_read(conn)
        hits = conn.execute(sql, [vec, Jsonb({"text": "!'火车'"})]).fetchall()
        read = rows_read(conn) - before
    assert len(hits) == 5
    assert read < 50, read  # the passages streamed before five passed, not the 150 documents
