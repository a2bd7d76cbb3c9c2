"""Ingest: every format, field mapping, bad lines reported with line numbers, unchanged docs skipped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from psycopg_pool import ConnectionPool

from app import cli, store
from app.config import Settings
from app.db import open_pool
from app.embedding.base import Embedder
from app.errors import InvalidDocument
from app.ingest.documents import FieldMap, document_from_record
from app.ingest.pipeline import ingest
from app.ingest.readers import read_records
from tests.conftest import DATA, CountingEmbedder


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_jsonl_bad_lines_are_reported_and_good_lines_stored(
    tmp_path: Path, pool: ConnectionPool, tiny_m3: Embedder
) -> None:
    f = write(
        tmp_path / "docs.jsonl",
        '{"_id": "a", "title": "北京", "text": "北京是中国的首都"}\n'
        "{not json\n"
        "\n"
        '{"_id": "b", "text": ""}\n'
        '["an", "array"]\n'
        '{"_id": "c", "text": "上海是最大的城市", "tags": ["city"]}\n',
    )
    report = ingest(pool, tiny_m3, read_records(f), FieldMap())
    assert report.written == 2
    assert [(b.line, b.error.split(":")[0]) for b in report.bad] == [
        (2, "invalid JSON"),
        (4, "no text"),
        (5, "expected a JSON object, got list"),
    ]
    with pool.connection() as conn:
        doc = store.get_document(conn, "c")
    assert doc is not None and doc["metadata"] == {"tags": ["city"]} and doc["has_embedding"]


def test_json_array_csv_and_beir_folder(tmp_path: Path) -> None:
    arr = write(
        tmp_path / "bikes.json", json.dumps([{"model": "Jigger", "description": "kids bike", "price": 270}])
    )
    recs = list(read_records(arr))
    doc = document_from_record(
        recs[0].record, FieldMap(title_field="model", text_field="description"), "bikes:1"
    )
    assert (doc.external_id, doc.title, doc.body, doc.metadata) == (
        "bikes:1",
        "Jigger",
        "kids bike",
        {"price": 270},
    )

    csv_file = write(tmp_path / "d.csv", 'id,title,body\n1,"A, title","multi\nline body"\n2,B\n3,C,c,extra\n')
    rows = list(read_records(csv_file))
    assert rows[0].record == {"id": "1", "title": "A, title", "body": "multi\nline body"}
    assert rows[0].line == 3  # the line where the record ends
    assert rows[1].record == {"id": "2", "title": "B"}
    assert rows[2].error is not None and rows[2].line == 5

    beir = tmp_path / "beir"
    beir.mkdir()
    write(beir / "corpus.jsonl", '{"_id": "x1", "title": "t", "text": "body"}\n')
    assert [r.record["_id"] for r in read_records(beir)] == ["x1"]
    with pytest.raises(InvalidDocument):
        list(read_records(tmp_path / "missing.jsonl"))


def test_explicit_fields_must_exist() -> None:
    with pytest.raises(InvalidDocument, match="missing id field"):
        document_from_record({"text": "x"}, FieldMap(id_field="key"), "f:1")
    with pytest.raises(InvalidDocument, match="missing text field"):
        document_from_record({"id": "1", "body": "x"}, FieldMap(text_field="content"), "f:1")


def test_unchanged_documents_are_not_re_embedded(
    tmp_path: Path, pool: ConnectionPool, tiny_m3: Embedder
) -> None:
    counting = CountingEmbedder(tiny_m3)
    f = write(
        tmp_path / "d.jsonl", "".join(json.dumps({"id": i, "text": f"文档 {i}"}) + "\n" for i in range(10))
    )
    first = ingest(pool, counting, read_records(f), FieldMap(), batch_size=4)
    assert (first.written, counting.encoded) == (10, 10)
    second = ingest(pool, counting, read_records(f), FieldMap(), batch_size=4)
    assert (second.written, second.unchanged, counting.encoded) == (0, 10, 10)
    lines = [json.dumps({"id": i, "text": f"文档 {i}" + (" 改" if i == 3 else "")}) for i in range(10)]
    write(f, "\n".join(lines) + "\n")
    third = ingest(pool, counting, read_records(f), FieldMap(), batch_size=4)
    assert (third.written, third.unchanged, counting.encoded) == (1, 9, 11)
    with pool.connection() as conn:
        assert conn.execute("SELECT count(*) FROM documents").fetchone() == (10,)


def test_a_document_repeated_in_the_next_batch_reads_it_as_written(
    tmp_path: Path, pool: ConnectionPool, tiny_m3: Embedder
) -> None:
    """Batches are written while the next is prepared: a later line of the same id, in the very next
    batch or two batches on, is compared with what the line before wrote (here: back to the stored
    text, so it must be written again, not skipped as unchanged)."""
    f = write(tmp_path / "a.jsonl", json.dumps({"id": "x", "text": "第一版"}) + "\n")
    assert ingest(pool, tiny_m3, read_records(f), FieldMap()).written == 1
    texts = ["第二版", "第一版", "填充 1", "第三版", "填充 2", "第一版"]
    ids = ["x", "x", "p1", "x", "p2", "x"]
    write(f, "".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in zip(ids, texts, strict=True)))
    report = ingest(pool, tiny_m3, read_records(f), FieldMap(), batch_size=1)
    assert (report.written, report.unchanged, report.bad) == (6, 0, [])
    with pool.connection() as conn:
        assert store.get_document(conn, "x")["body"] == "第一版"  # type: ignore[index]
        assert conn.execute("SELECT n_docs FROM search.corpus_stats").fetchone() == (3,)


def test_documents_are_numbered_in_the_input_order_though_two_batches_are_written_at_once(
    tmp_path: Path, pool: ConnectionPool, tiny_m3: Embedder
) -> None:
    """Two batches are written side by side, but their upserts take turns: stored ids follow the input
    (ties break by id), with a repeated id and a batch left unchanged among them."""
    ids = [f"d{i:03d}" for i in range(90)]
    lines = [json.dumps({"id": i, "text": f"文档 {i}"}) for i in ids]
    f = write(tmp_path / "a.jsonl", "\n".join(lines[:6]) + "\n")
    ingest(pool, tiny_m3, read_records(f), FieldMap())
    lines.insert(40, json.dumps({"id": "d010", "text": "改过的 d010"}))  # stored before: keeps its id
    write(f, "\n".join(lines) + "\n")
    report = ingest(pool, tiny_m3, read_records(f), FieldMap(), batch_size=3)
    assert (report.written, report.unchanged, report.bad) == (85, 6, [])
    with pool.connection() as conn:
        stored = [r[0] for r in conn.execute("SELECT external_id FROM documents ORDER BY id").fetchall()]
    assert stored == ids


def test_a_pool_of_one_connection_writes_the_batches_one_after_the_other(
    tmp_path: Path, db_url: str, settings: Settings, tiny_m3: Embedder
) -> None:
    """DB_POOL_MAX=1: the two writers and the batch being prepared share one connection (a batch takes
    it only once its turn has come), and ids still follow the input."""
    ids = [f"d{i:02d}" for i in range(30)]
    f = write(tmp_path / "a.jsonl", "".join(json.dumps({"id": i, "text": f"文档 {i}"}) + "\n" for i in ids))
    one = settings.model_copy(update={"db_pool_max": 1, "db_pool_timeout_s": 3.0})
    with open_pool(db_url, one, min_size=1) as pool:
        report = ingest(pool, tiny_m3, read_records(f), FieldMap(), batch_size=2)
        with pool.connection() as conn:
            stored = [r[0] for r in conn.execute("SELECT external_id FROM documents ORDER BY id").fetchall()]
    assert (report.written, report.bad, stored) == (30, [], ids)


def test_tokenising_processes_store_what_one_process_stores(tmp_path: Path, pool: ConnectionPool) -> None:
    """Two tokenising processes: the same tsvectors, lengths and postings as tokenising in place, bad
    lines still reported with their numbers, a repeated id stored as its last line."""
    texts = [f"第{i}篇：北京大学的学生在跑步，runners running {i}" for i in range(30)]
    lines = [
        json.dumps({"_id": f"{{p}}{i}", "title": f"标题{i}", "text": t}, ensure_ascii=False)
        for i, t in enumerate(texts)
    ]
    body = "\n".join([*lines[:10], "{oops", *lines[10:], lines[3].replace("跑步", "游泳")]) + "\n"
    reports = {}
    for prefix, processes in (("two-", 2), ("one-", 1)):
        f = write(tmp_path / f"{prefix}.jsonl", body.replace("{p}", prefix))
        reports[prefix] = ingest(pool, None, read_records(f), FieldMap(), batch_size=8, processes=processes)
    for report in reports.values():
        assert (report.written, [b.line for b in report.bad]) == (31, [11])
    stored = (
        "SELECT substr(d.external_id, 5), d.tsv::text, d.doc_len, d.title_len,"
        " (SELECT array_agg((p.term, p.tf, p.tf_title) ORDER BY p.term) FROM search.postings AS p"
        "  WHERE p.doc_id = d.id)::text"
        " FROM documents AS d WHERE d.external_id LIKE %s ORDER BY 1"
    )
    with pool.connection() as conn:
        two, one = (conn.execute(stored, (f"{p}%",)).fetchall() for p in ("two-", "one-"))
    assert two == one and len(two) == 30
    assert "游泳" in dict((r[0], r[1]) for r in two)["3"]


def test_cli_ingest_exit_code_and_line_numbers(
    tmp_path: Path,
    settings: Settings,
    tiny_m3_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    s = settings.model_copy(update={"embedding_model": str(tiny_m3_path)})
    monkeypatch.setattr(cli, "get_settings", lambda: s)
    good = write(tmp_path / "good.jsonl", '{"_id": "g1", "text": "你好 世界"}\n')
    assert cli.main(["ingest", str(good), "--quiet"]) == 0
    bad = write(tmp_path / "bad.jsonl", '{"_id": "g2", "text": "再见"}\n{oops\n')
    assert cli.main(["ingest", str(bad), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "bad.jsonl:2: invalid JSON" in err
    assert cli.main(["ingest", str(tmp_path / "nope.jsonl"), "--quiet"]) == 2
    assert cli.main(["ingest", str(good), "--processes", "0", "--quiet"]) == 2
    assert "--processes must be at least 1" in capsys.readouterr().err
    assert cli.main(["search", "再见", "--mode", "keyword", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [h["id"] for h in out["hits"]] == ["g2"]
    assert cli.main(["search", "再见", "--mode", "keyword", "--filters", '{"x": 1}', "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["hits"] == []
    assert cli.main(["search", "再见", "--filters", "{oops"]) == 2
    assert cli.main(["search", "!!!", "--mode", "keyword"]) == 2


def test_bikes_ingest_with_field_mapping(pool: ConnectionPool, tiny_m3: Embedder) -> None:
    path = DATA / "bikes.json"
    report = ingest(
        pool, tiny_m3, read_records(path), FieldMap(title_field="model", text_field="description")
    )
    assert (report.written, report.bad) == (11, [])
    with pool.connection() as conn:
        doc = store.get_document(conn, "bikes:1")
    assert doc is not None and doc["title"] == "Jigger"
    assert doc["metadata"]["brand"] == "Velorim" and doc["metadata"]["price"] == 270
