"""Synonyms applied at query time: no re-index, effective from the next search, scored as Lucene's
SynonymQuery (a term's forms as one term), shown in the answer and marked in the highlight; managed by
the CLI and the admin endpoint (an API key)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from app import cli
from app.api.main import create_app
from app.config import Settings
from app.embedding.base import Embedder
from app.embedding.loader import ModelHolder
from app.ingest.documents import Document
from app.ingest.pipeline import upsert_documents
from app.search import Mode, SearchRequest, SearchService
from app.search.synonyms import add_rules, parse_rule, remove_rules
from tests.conftest import LOCAL_CLIENT, rows_read

DOCS = [
    Document("a", "", "手机很好用。"),
    Document("b", "", "移动电话的历史很长。"),
    Document("c", "", "移动电话和手机，手机。"),
    Document("d", "", "电脑坏了。"),
    Document("e", "", "计算机科学。"),
]


@pytest.fixture
def service(pool: ConnectionPool, tiny_m3: Embedder, settings: Settings) -> SearchService:
    upsert_documents(pool, tiny_m3, DOCS)
    return SearchService(pool, ModelHolder.ready(tiny_m3), settings)


def keyword(service: SearchService, q: str) -> dict[str, float]:
    return {h.id: h.score for h in service.search(SearchRequest(q, Mode.keyword)).hits}


def synonym_bm25(pool: ConnectionPool, forms: list[str], doc: str) -> float:
    """Lucene's SynonymQuery by hand: the forms' frequencies summed, their df the largest (title weight
    2 counts nothing here: the documents have no title)."""
    with pool.connection() as conn:
        n, total = conn.execute("SELECT n_docs, total_len FROM search.corpus_stats").fetchone()  # type: ignore[misc]
        df = max(r[0] for r in conn.execute("SELECT df FROM search.term_stats WHERE term = ANY(%s)", [forms]))
        tf, dl = conn.execute(
            "SELECT sum(p.tf), max(p.dl) FROM search.postings AS p JOIN documents AS d ON d.id = p.doc_id"
            " WHERE d.external_id = %s AND p.term = ANY(%s)",
            [doc, forms],
        ).fetchone()  # type: ignore[misc]
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
    return idf * tf / (tf + 1.2 * (1 - 0.75 + 0.75 * dl / (total / n)))


def test_a_rule_applies_from_the_next_search_scored_as_one_term(
    service: SearchService, pool: ConnectionPool
) -> None:
    assert set(keyword(service, "手机")) == {"a", "c"}
    with pool.connection() as conn:
        (rule_id,) = add_rules(conn, [parse_rule("手机, 移动电话")])  # type: ignore[list-item]
    res = service.search(SearchRequest("手机", Mode.keyword))
    assert {h.id for h in res.hits} == {"a", "b", "c"} and set(res.synonyms["手机"]) == {"手机", "移动电话"}
    scores = {h.id: h.score for h in res.hits}
    for doc in ("a", "b", "c"):  # c holds both forms: tf 3 under one weight, not two terms' scores
        assert scores[doc] == pytest.approx(synonym_bm25(pool, ["手机", "移动电话"], doc), rel=1e-9)
    b_hit = next(h for h in res.hits if h.id == "b")
    assert "<mark>移动电话</mark>" in b_hit.highlight  # the synonym found is marked
    assert {h.id for h in service.search(SearchRequest("手机", Mode.hybrid, limit=50)).hits} >= {
        "a",
        "b",
        "c",
    }
    with pool.connection() as conn:
        assert remove_rules(conn, [rule_id]) == 1
    assert set(keyword(service, "手机")) == {"a", "c"}  # removed: the next search is without it


def test_synonyms_alone_look_no_document_up(service: SearchService, pool: ConnectionPool) -> None:
    """A filter that only carries synonyms has no condition on documents: the keyword leg reads the
    postings alone (migration 0033: it looked every posting's document up, and on a large corpus the
    planner hashed the whole documents table first). A text condition beside them still reads them."""
    sql = "SELECT doc_id FROM search.keyword_ranks(%s, 10, 1.2, 0.75, %s)"
    synonyms = {"synonyms": {"手机": ["手机", "移动电话"]}}
    with pool.connection() as conn, conn.transaction():  # the transaction's own table counters
        before = rows_read(conn)
        assert len(conn.execute(sql, [["手机"], Jsonb(synonyms)]).fetchall()) == 3
        assert rows_read(conn) == before
        hits = conn.execute(sql, [["手机"], Jsonb({**synonyms, "text": "!'历史'"})]).fetchall()
        assert len(hits) == 2
        assert rows_read(conn) != before


def test_one_way_rules_replace(service: SearchService, pool: ConnectionPool) -> None:
    with pool.connection() as conn:
        add_rules(conn, [parse_rule("电脑 => 计算机")])  # type: ignore[list-item]
    assert set(keyword(service, "电脑")) == {"e"}  # searched as 计算机, as Solr's explicit mappings
    assert set(keyword(service, "计算机")) == {"e"}  # one way only


def test_a_run_of_terms_maps_one_way(service: SearchService, pool: ConnectionPool) -> None:
    upsert_documents(
        pool, service.models.get(), [Document("i", "", "iphone 的评测。"), Document("p", "", "苹果很甜。")]
    )
    with pool.connection() as conn:
        add_rules(conn, [parse_rule("苹果手机 => iphone"), parse_rule("手机, 移动电话")])  # type: ignore[list-item]
    res = service.search(SearchRequest("苹果手机", Mode.keyword))
    assert [h.id for h in res.hits] == ["i"] and res.synonyms == {"苹果 手机": ["iphon"]}
    assert "<mark>iphone</mark>" in res.hits[0].highlight
    assert {h.id for h in service.search(SearchRequest("买 苹果 手机 评测", Mode.keyword)).hits} == {"i"}
    apart = service.search(SearchRequest("手机 苹果", Mode.keyword))  # not in a row: each term on its own
    assert {h.id for h in apart.hits} == {"a", "b", "c", "p"} and "苹果 手机" not in apart.synonyms
    assert service.search(SearchRequest("苹果手机", Mode.hybrid)).hits[0].id == "i"


def test_cli_and_admin_endpoint(
    pool: ConnectionPool,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    assert cli.main(["synonyms", "add", "手机, 移动电话", "电脑 => 计算机"]) == 0
    assert cli.main(["synonyms", "add", "iphone => 苹果手机"]) == 2  # a target of two terms: refused
    rules = tmp_path / "synonyms.txt"
    rules.write_text("# Solr format\n笔记本, 笔记本电脑\n\n只有一个\n", encoding="utf-8")
    assert cli.main(["synonyms", "import", str(rules)]) == 2  # the good line is added, the bad one named
    err = capsys.readouterr().err
    assert "synonyms.txt:4:" in err and "synonyms.txt:2" not in err
    assert cli.main(["synonyms", "list", "--json"]) == 0

    listed = json.loads(capsys.readouterr().out)
    assert [r["rule"] for r in listed] == ["手机, 移动电话", "电脑 => 计算机", "笔记本, 笔记本电脑"]
    # analysts see the same expansion (and the statements carry it in their filter)
    assert cli.main(["sql-params", "手机", "--no-vector", "--json"]) == 0
    assert set(json.loads(capsys.readouterr().out)["synonyms"]["手机"]) == {"手机", "移动电话"}
    assert cli.main(["sql-params", "手机", "--no-vector"]) == 0
    assert '"synonyms":{"手机":[' in capsys.readouterr().out
    assert cli.main(["synonyms", "remove", str(listed[0]["id"])]) == 0
    assert cli.main(["synonyms", "remove", "999999"]) == 2

    keyed = settings.model_copy(update={"api_keys": ["k"]})
    with TestClient(
        create_app(keyed, pool=pool, models=ModelHolder.unavailable("none")), client=LOCAL_CLIENT
    ) as c:
        assert c.get("/synonyms").status_code == 401
        auth = {"Authorization": "Bearer k"}
        assert [r["rule"] for r in c.get("/synonyms", headers=auth).json()] == [
            "电脑 => 计算机",
            "笔记本, 笔记本电脑",
        ]
        added = c.post("/synonyms", json={"rules": ["手机, 移动电话"]}, headers=auth)
        assert added.status_code == 200 and added.json()[0]["forms"] == ["手机", "移动电话"]
        assert c.post("/synonyms", json={"rules": ["只有一个"]}, headers=auth).status_code == 422
        assert c.delete(f"/synonyms/{added.json()[0]['id']}", headers=auth).status_code == 204
        assert c.delete("/synonyms/999999", headers=auth).status_code == 404
