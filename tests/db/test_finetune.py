"""`hybrid-search finetune-data`: FlagEmbedding's {"query", "pos", "neg"} lines, hard negatives from
our own ranking (ranks 2-200, never a relevant document), repeatable with a seed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from psycopg_pool import ConnectionPool

from app import cli
from app.config import Settings
from app.embedding.base import Embedder
from app.embedding.loader import ModelHolder
from app.finetune import passage_text, ranked_ids
from app.ingest.documents import Document
from app.ingest.pipeline import upsert_documents
from app.search import Mode, SearchService

TOPICS = ["北京", "上海", "天气", "音乐", "足球"]


@pytest.fixture
def corpus(pool: ConnectionPool, tiny_m3: Embedder, tmp_path: Path) -> Path:
    docs = [
        Document(
            f"d{i}",
            f"标题{i}" if i % 2 else "",
            f"{TOPICS[i % 5]}的消息 {TOPICS[(i + 1) % 5]} 第{i}条",
            None,
            {},
        )
        for i in range(40)
    ]
    upsert_documents(pool, tiny_m3, docs)
    (tmp_path / "queries.jsonl").write_text(
        "\n".join(
            json.dumps({"_id": f"q{j}", "text": f"{TOPICS[j]}的消息"}, ensure_ascii=False) for j in range(5)
        )
        + "\n"
        + json.dumps({"_id": "q-unjudged", "text": "北京"}, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    # q0..q4: the documents of that topic; q3 also one not stored (left out of pos)
    lines = ["query-id\tcorpus-id\tscore"]
    lines += [f"q{j}\td{i}\t1" for j in range(5) for i in range(40) if i % 5 == j]
    lines += ["q3\tnot-stored\t1", "q4\td1\t0"]
    (tmp_path / "qrels.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path


def test_finetune_data(
    corpus: Path,
    settings: Settings,
    pool: ConnectionPool,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    out = corpus / "train.jsonl"
    args = [
        "finetune-data",
        "--queries",
        str(corpus / "queries.jsonl"),
        "--qrels",
        str(corpus / "qrels.tsv"),
        "--out",
        str(out),
        "--mode",
        "keyword",
        "--negatives",
        "5",
        "--quiet",
    ]
    assert cli.main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary == {"queries": 6, "examples": 5, "out": str(out)}
    examples = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    service = SearchService(pool, ModelHolder.unavailable("keyword"), settings)
    with pool.connection() as conn:
        text_of = {
            r[0]: passage_text(r[1], r[2])
            for r in conn.execute("SELECT external_id, title, body FROM documents")
        }
    for j, ex in enumerate(examples):
        assert set(ex) == {"query", "pos", "neg"} and ex["query"] == f"{TOPICS[j]}的消息"
        relevant = {f"d{i}" for i in range(40) if i % 5 == j}
        assert sorted(ex["pos"]) == sorted(text_of[d] for d in relevant)
        ranked = ranked_ids(service, ex["query"], Mode.keyword, 200)
        allowed = {text_of[d] for d in ranked[1:200] if d not in relevant}
        assert len(ex["neg"]) == 5 and set(ex["neg"]) <= allowed and len(set(ex["neg"])) == 5
    assert "标题1\n" in json.dumps(examples, ensure_ascii=False).replace("\\n", "\n")  # title on its own line
    # the same seed, the same file; another seed, other negatives
    first = out.read_text(encoding="utf-8")
    assert cli.main(args) == 0 and out.read_text(encoding="utf-8") == first
    assert cli.main([*args, "--seed", "7"]) == 0 and out.read_text(encoding="utf-8") != first
    capsys.readouterr()


def test_finetune_data_bad_input(
    corpus: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    bad = corpus / "bad.tsv"
    bad.write_text("q0\td0\t1\nq1\td1\n", encoding="utf-8")
    base = [
        "finetune-data",
        "--queries",
        str(corpus / "queries.jsonl"),
        "--out",
        str(corpus / "x.jsonl"),
        "--mode",
        "keyword",
    ]
    assert cli.main([*base, "--qrels", str(bad)]) == 2
    assert "bad.tsv:2: expected query-id, corpus-id, score" in capsys.readouterr().err
    assert cli.main([*base, "--qrels", str(corpus / "nope.tsv")]) == 2
    assert cli.main([*base, "--qrels", str(corpus / "qrels.tsv"), "--range", "5-2"]) == 2
    assert not (corpus / "x.jsonl").exists()
