"""Search in all three modes through the service, and the SQL functions agree with it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import psycopg
import pytest
from psycopg_pool import ConnectionPool
from pydantic import ValidationError

from app import store
from app.config import Settings
from app.embedding.base import Embedder
from app.embedding.loader import ModelHolder
from app.errors import EmptyQuery, InvalidQuery, ModelMismatch, ModelUnavailable
from app.ingest.documents import FieldMap
from app.ingest.pipeline import ingest
from app.ingest.readers import read_records
from app.search import Mode, SearchRequest, SearchService
from app.search.terms import strongest_terms
from tests.conftest import DATA

T = TypeVar("T")


@pytest.fixture
def bikes(pool: ConnectionPool, minilm: Embedder) -> ConnectionPool:
    fields = FieldMap(title_field="model", text_field="description")
    report = ingest(pool, minilm, read_records(DATA / "bikes.json"), fields)
    assert report.written == 11
    return pool


@pytest.fixture
def service(bikes: ConnectionPool, minilm: Embedder, settings: Settings) -> SearchService:
    return SearchService(bikes, ModelHolder.ready(minilm), settings)


def test_three_modes_rank_with_per_leg_explanations(service: SearchService) -> None:
    kw = service.search(SearchRequest("mountain bike for kids", Mode.keyword, limit=5))
    assert kw.hits and all(h.keyword_rank is not None and h.semantic_rank is None for h in kw.hits)
    assert [h.keyword_rank for h in kw.hits] == list(range(1, len(kw.hits) + 1))
    assert kw.hits[0].score == kw.hits[0].keyword_score

    sem = service.search(SearchRequest("a bicycle for children", Mode.semantic, limit=3))
    assert [h.semantic_rank for h in sem.hits] == [1, 2, 3]
    assert sem.hits[0].title in {"Jigger", "Chook air 5", "Hillcraft"}
    assert all(-1 <= (h.semantic_score or 0) <= 1 for h in sem.hits)

    hy = service.search(SearchRequest("Bike for small kids", Mode.hybrid, limit=11))
    assert not hy.degraded and len(hy.hits) == 11
    for h in hy.hits:
        expected = sum(1 / (10 + r) for r in (h.keyword_rank, h.semantic_rank) if r is not None)
        assert h.score == pytest.approx(expected)
    assert [h.score for h in hy.hits] == sorted((h.score for h in hy.hits), reverse=True)
    assert hy.hits[0].title == "Jigger"
    assert hy.fusion["method"] == "rrf" and hy.fusion["k"] == 10 and hy.fusion["rank_window"] == 100


def test_pages_never_repeat_or_skip(service: SearchService) -> None:
    full = [h.id for h in service.search(SearchRequest("comfortable bike", Mode.hybrid, limit=11)).hits]
    paged = [
        h.id
        for off in range(0, 11, 3)
        for h in service.search(SearchRequest("comfortable bike", Mode.hybrid, limit=3, offset=off)).hits
    ]
    assert paged == full and len(set(full)) == len(full)


def test_sql_function_returns_what_the_service_returns(service: SearchService, minilm: Embedder) -> None:
    result = service.search(SearchRequest("Commuter bike for people over 60", Mode.hybrid, limit=5))
    vec = minilm.encode(["Commuter bike for people over 60"])[0]
    with service.pool.connection() as conn:
        rows = conn.execute(
            "SELECT id, score, keyword_rank, semantic_rank FROM search.hybrid(%s, %s, 5)", [result.terms, vec]
        ).fetchall()
    assert [(h.id, h.keyword_rank, h.semantic_rank) for h in result.hits] == [
        (r[0], r[2], r[3]) for r in rows
    ]
    assert [h.score for h in result.hits] == pytest.approx([r[1] for r in rows])


def test_without_a_model_hybrid_degrades_and_semantic_refuses(
    bikes: ConnectionPool, settings: Settings
) -> None:
    service = SearchService(bikes, ModelHolder.unavailable("no model hub here"), settings)
    hy = service.search(SearchRequest("kids bike", Mode.hybrid))
    assert hy.degraded and "no model hub here" in (hy.degraded_reason or "")
    assert hy.hits and all(h.semantic_rank is None for h in hy.hits)
    with pytest.raises(ModelUnavailable, match="no model hub here"):
        service.search(SearchRequest("kids bike", Mode.semantic))


@pytest.mark.parametrize(
    "q",
    [
        "'",
        "\\",
        "a & b | !c",
        "(((",
        "*:*",
        "'; DROP TABLE documents; --",
        "😀" * 5,
        "x" * 1000,
        "北京'上海\\",
    ],
)
def test_any_input_yields_a_valid_query_or_a_clear_error(service: SearchService, q: str) -> None:
    try:
        res = service.search(SearchRequest(q, Mode.keyword))
        assert isinstance(res.hits, list)
    except EmptyQuery:
        pass
    with service.pool.connection() as conn:
        assert conn.execute("SELECT count(*) FROM documents").fetchone() == (11,)


def test_bad_parameters_are_refused(service: SearchService) -> None:
    """Fixed bounds are the request model's (refused as it is built, on every path); those the settings
    set (MAX_LIMIT, MAX_OFFSET, MAX_QUERY_CHARS) are the service's."""
    for options in [
        {"limit": 0},
        {"offset": -1},
        {"rrf_k": 0},
        {"rrf_k": 100_001},
        {"keyword_weight": float("nan")},
        {"semantic_weight": 1001},
        {"min_score": float("inf")},
        {"title_weight": float("nan")},
        {"mode": "fuzzy"},
        {"filters": "[1]"},
        {"q": ""},
        {"flter": {}},
    ]:
        with pytest.raises(ValidationError):
            SearchRequest(**({"q": "bike"} | options))
    for req in [SearchRequest("   "), SearchRequest("x" * 1001), SearchRequest("bike", limit=101)]:
        with pytest.raises(InvalidQuery):
            service.search(req)
    with pytest.raises(InvalidQuery):
        service.search(SearchRequest("bike", offset=1001))


def test_a_different_model_is_refused(bikes: ConnectionPool, tiny_m3: Embedder) -> None:
    with bikes.connection() as conn:
        with pytest.raises(ModelMismatch, match="384-d vectors"):
            store.register_model(conn, tiny_m3)
        assert store.model_mismatch(conn, tiny_m3.name, tiny_m3.dim)


def test_strongest_terms_keep_the_most_informative() -> None:
    df = {"the": 900, "bike": 50, "kids": 5, "rare": 1}
    terms = ["the", "bike", "nowhere", "kids", "the", "rare"]
    assert strongest_terms(terms, df, 1000, cap=10) == terms  # under the cap: as given
    assert strongest_terms(terms, df, 1000, cap=2) == ["kids", "rare"]  # highest idf; repeats kept below
    assert strongest_terms(terms, df, 1000, cap=4) == [
        "the",
        "bike",
        "kids",
        "the",
        "rare",
    ]  # unknown first out
    assert strongest_terms(["a", "b", "c"], {}, 0, cap=2) == ["a", "b"]  # none known: the query's order
    # a repeated common term can outweigh a single rarer one (qtf * idf)
    assert strongest_terms(["x"] * 8 + ["y"], {"x": 300, "y": 200}, 1000, cap=1) == ["x"] * 8


def test_long_queries_are_scored_by_their_strongest_terms(bikes: ConnectionPool, minilm: Embedder) -> None:
    settings = Settings(max_query_terms=4)
    service = SearchService(bikes, ModelHolder.ready(minilm), settings)
    filler = " ".join(f"zzfiller{i}" for i in range(20))  # in no document: weigh nothing
    long = service.search(SearchRequest(f"{filler} bike kids", Mode.keyword, limit=3))
    # the two known terms kept, the rest of the cap filled with unknown ones in the query's order
    assert long.terms == ["zzfiller0", "zzfiller1", "bike", "kid"]
    short = service.search(SearchRequest("bike kids", Mode.keyword, limit=3))
    assert [h.id for h in long.hits] == [h.id for h in short.hits]


def test_searches_run_in_autocommit_and_hand_writers_a_transaction(
    bikes: ConnectionPool, minilm: Embedder, settings: Settings, db_url: str
) -> None:
    """A search's connection is in autocommit (no BEGIN/COMMIT round trips); the pool hands it on in
    transaction mode, after a search that failed too, so a writer's locks last until its commit."""
    from app.db import ReadPools, open_pool

    one = settings.model_copy(update={"db_pool_max": 1})
    single = open_pool(db_url, one, min_size=1)
    try:
        service = SearchService(single, ModelHolder.ready(minilm), one)
        with ReadPools(single).connection() as conn:
            assert conn.autocommit
        assert service.search(SearchRequest("mountain bike", Mode.hybrid)).hits
        with single.connection() as conn:
            assert not conn.autocommit
        with pytest.raises(psycopg.errors.DivisionByZero), ReadPools(single).connection() as conn:
            conn.execute("SELECT 1 / 0")
        with single.connection() as conn:
            assert not conn.autocommit
        with ReadPools(single).connection() as conn:  # a transaction left open is rolled back
            conn.execute("BEGIN")
            conn.execute("SELECT pg_advisory_xact_lock(8)")
        with ReadPools(single).spare() as conn:
            assert conn is not None and conn.autocommit
            locks = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            assert conn.execute(locks).fetchone() == (0,)
        with single.connection() as conn:
            assert not conn.autocommit
            conn.execute("SELECT pg_advisory_xact_lock(7)")
            held = conn.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            ).fetchone()
            assert held == (1,)  # still held: the statement did not commit on its own
    finally:
        single.close()


def test_a_failed_pipeline_hands_on_no_connection_with_a_skipped_statement(
    db_url: str, settings: Settings
) -> None:
    """A statement skipped by a pipeline that failed before it, on the run that was to prepare it, is
    recorded as prepared by psycopg though the server never parsed it; db.pipeline closes such a
    connection, so the pool hands out a new one and the statement runs (the reembed test met
    'prepared statement "_pg3_5" does not exist' in a search after a refused model check)."""
    from app.db import open_pool, pipeline

    one = settings.model_copy(update={"db_pool_max": 1})
    single = open_pool(db_url, one, min_size=1)
    statement = "SELECT %s::int + 1"
    try:
        with single.connection() as conn:
            conn.autocommit = True  # as ReadPools hands them out
            for i in range(5):  # the next run is the one psycopg prepares
                conn.execute(statement, [i])
            with pytest.raises(psycopg.errors.DivisionByZero), pipeline(conn):
                conn.execute("SELECT 1 / 0")
                conn.execute(statement, [5])
        with single.connection() as conn:
            assert conn.execute(statement, [6]).fetchone() == (7,)
    finally:
        single.close()


def test_hybrid_legs_side_by_side_give_the_one_statements_rows(
    bikes: ConnectionPool, minilm: Embedder, settings: Settings, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first hybrid page whose legs ran on two connections at once equals search.hybrid's, in one
    statement (a pool of one connection has none to spare): ids, ranks, scores, passages, snippets, for
    both fusions, a filter, a score floor, pages across the window and a query only one leg matches."""
    import app.search.service as service_module
    from app.db import open_pool

    narrow = settings.model_copy(update={"rank_window": 5})
    one = narrow.model_copy(update={"db_pool_max": 1})
    single = open_pool(db_url, one, min_size=1)
    side_by_side = service_module.hybrid_side_by_side
    calls: list[int] = []

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return side_by_side(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(service_module, "hybrid_side_by_side", counted)
    try:
        apart = SearchService(bikes, ModelHolder.ready(minilm), narrow)
        together = SearchService(single, ModelHolder.ready(minilm), one)
        requests = [
            SearchRequest("comfortable bike for commuting", Mode.hybrid, limit=3),
            SearchRequest("comfortable bike for commuting", Mode.hybrid, limit=3, offset=2),
            # past the window (5): the one statement's deep fusion
            SearchRequest("comfortable bike for commuting", Mode.hybrid, limit=3, offset=4),
            SearchRequest("mountain bike", Mode.hybrid, limit=5, fusion="minmax"),
            SearchRequest("mountain bike", Mode.hybrid, limit=5, min_score=0.05),
            SearchRequest(
                "light commuting bike", Mode.hybrid, limit=5, keyword_weight=3.0, semantic_weight=0.5
            ),
            SearchRequest("bike", Mode.hybrid, limit=5, filters={"type": "Kids bikes"}),
            SearchRequest("zzzz qqqq", Mode.hybrid, limit=5),  # no keyword match: the semantic leg alone
        ]
        with bikes.connection(), bikes.connection():
            pass  # the pool holds a second connection to spare (it opens them lazily)
        apart.search(SearchRequest("bike", Mode.keyword))  # a first search reads whether there are rules
        for req in requests:
            a, b = apart.search(req), together.search(req)
            assert a.complete == b.complete
            assert [h.model_dump() for h in a.hits] == [h.model_dump() for h in b.hits], req
            assert a.hits or req.offset
    finally:
        single.close()
    assert len(calls) == len(requests) - 1  # every first page went side by side; past the window, not


def test_a_document_gone_since_its_leg_ranked_it_leaves_no_gap(service: SearchService) -> None:
    """search_hybrid_legs.sql cuts the page after joining the documents: an id a leg returned that is no
    longer stored (deleted meanwhile) is passed over and the page stays full."""
    from psycopg.rows import dict_row

    from app.db import query

    with service.pool.connection() as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM public.documents ORDER BY id LIMIT 4").fetchall()]
        legs = {
            "kw_ids": [-1, *ids[:2]],
            "kw_ranks": [1, 2, 3],
            "kw_scores": [3.0, 2.0, 1.0],
            "kw_pinyin": [None, None, None],
            "sem_ids": ids[2:],
            "sem_ranks": [1, 2],
            "sem_scores": [0.9, 0.8],
            "sem_starts": [0, 0],
        }
        params = {
            "with_bodies": False, "rrf_k": 10, "keyword_weight": 1.0, "semantic_weight": 1.0,
            "sparse_weight": 0.0, "fusion": "rrf", "min_score": None, "offset": 0, "limit": 4,
        }  # fmt: skip
        rows = (
            conn.cursor(row_factory=dict_row)
            .execute(query("search_hybrid_legs"), {**params, **legs})
            .fetchall()
        )
    assert len(rows) == 4 and all(r["id"] is not None for r in rows)


HELD_SHARED = (
    "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
    " AND mode = 'ShareLock' AND granted"
)


def test_statements_with_the_query_vector_hold_the_switch_lock(
    bikes: ConnectionPool, minilm: Embedder, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A statement that reads the query's vector runs while its transaction holds the model switch's
    lock shared: on the search's connection after checked_cursor's check (in autocommit the check
    would commit, and free the swap, first), and on a spare connection (the hybrid semantic leg, the
    facet counts) after a check of its own. The swap waits for it, so none meets swapped vectors."""
    import app.search.service as service_module
    from app.db import ReadPools

    service = SearchService(bikes, ModelHolder.ready(minilm), settings)
    with service.checked_cursor(minilm.name) as cur:
        assert cur.execute(HELD_SHARED).fetchone() == {"n": 1}
    with service.checked_cursor(None) as cur:
        assert cur.execute(HELD_SHARED).fetchone() == {"n": 0}
    real_query, real_checked = service_module.query, service_module.checked_statement
    probe = {"probe": HELD_SHARED}
    monkeypatch.setattr(service_module, "query", lambda name: probe.get(name) or real_query(name))
    with ReadPools(bikes).connection() as conn:
        assert real_checked(conn, minilm.name, "probe", {}).fetchone() == {"n": 1}
        assert real_checked(conn, None, "probe", {}).fetchone() == {"n": 0}

    checked: list[tuple[str, str | None]] = []

    def spy(conn: psycopg.Connection[object], model: str | None, name: str, *rest: object) -> object:
        checked.append((name, model))
        return real_checked(conn, model, name, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(service_module, "checked_statement", spy)
    with bikes.connection(), bikes.connection():
        pass  # two connections in the pool: the statements beside the search find a spare one
    assert service.search(SearchRequest("mountain bike", Mode.hybrid, facets="brand")).facets
    assert ("search_facets", minilm.name) in checked
    assert service.search(SearchRequest("mountain bike", Mode.hybrid)).hits  # no rules: legs apart
    assert ("hybrid_semantic_leg", minilm.name) in checked
    checked.clear()
    assert service.search(SearchRequest("mountain bike", Mode.keyword, facets="brand")).facets
    assert checked == [("search_facets", None)]  # no vector, nothing to check


def _lock_waits_during_a_swap(
    db_url: str, tables: str, connections: int, run: Callable[[], T]
) -> tuple[list[str], T]:
    """`run` in a thread while a "swap" holds the switch's advisory lock and `tables`: the lock waits
    of the database's backends once each of `run`'s `connections` waits (or after 10 s), then `run`'s
    result after the swap let go."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    waits_sql = (
        "SELECT wait_event FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock' ORDER BY wait_event"
    )
    with (
        psycopg.connect(db_url, autocommit=True) as watch,
        psycopg.connect(db_url) as swap,
        ThreadPoolExecutor(1) as running,
    ):
        swap.execute("SELECT pg_advisory_xact_lock(search.switch_lock_key())")
        swap.execute(f"LOCK TABLE {tables} IN ACCESS EXCLUSIVE MODE")
        result = running.submit(run)
        deadline = time.monotonic() + 10
        while len(waits := [r[0] for r in watch.execute(waits_sql)]) < connections:
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)
        swap.rollback()
        return waits, result.result(timeout=30)


def test_similar_to_a_document_reads_its_vector_and_neighbours_under_the_switch_lock(
    bikes: ConnectionPool, minilm: Embedder, settings: Settings, db_url: str
) -> None:
    """The stored vector and its neighbours are read in one transaction that first takes the switch's
    lock, so a swap cannot come between them (the neighbours of a 384-d vector looked up among
    another model's)."""
    from app.search.similar import SimilarService

    similar = SimilarService(SearchService(bikes, ModelHolder.ready(minilm), settings))
    with bikes.connection() as conn:
        first = conn.execute("SELECT min(external_id) FROM documents").fetchone()[0]
    expected = [h.id for h in similar.to_document(first, 3)]
    waits, hits = _lock_waits_during_a_swap(
        db_url, "public.documents, search.passages", 1, lambda: similar.to_document(first, 3)
    )
    assert waits == ["advisory"]  # not the documents table, with the vector read before the swap
    assert [h.id for h in hits] == expected


def test_a_hybrid_search_waits_for_a_model_swap_before_its_vector_leg(
    bikes: ConnectionPool, minilm: Embedder, settings: Settings, db_url: str
) -> None:
    """While a swap holds its locks (the switch's advisory lock, then the passages table's), a hybrid
    search whose legs run side by side waits for the advisory lock on both connections, and never for
    the table with the old model's vector in hand (CI met 'different vector dimensions 384 and 32'
    once, the semantic leg on the spare connection having run unchecked); it answers once the swap
    lets go."""
    uncached = settings.model_copy(update={"answer_cache_size": 0})  # the search must reach the database
    service = SearchService(bikes, ModelHolder.ready(minilm), uncached)
    req = SearchRequest("mountain bike", Mode.hybrid)
    expected = [h.id for h in service.search(req).hits]  # and learns there are no rules: legs apart next
    with bikes.connection(), bikes.connection():
        pass  # a spare connection for the semantic leg
    waits, result = _lock_waits_during_a_swap(db_url, "search.passages", 2, lambda: service.search(req))
    assert waits == ["advisory", "advisory"]  # the search's connection and the spare one
    assert [h.id for h in result.hits] == expected
