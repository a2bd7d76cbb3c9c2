"""`db retokenize`: stored documents re-analysed with the current analyzer (here: pinyin turned on
after they were stored, as after the upgrade to 0013), their vectors kept, statistics exact, a second
run and the next ingest of the same documents doing nothing."""

from __future__ import annotations

import pytest
from psycopg_pool import ConnectionPool

from app import cli
from app.admin import retokenize
from app.config import Settings
from app.embedding.base import Embedder
from app.embedding.loader import ModelHolder
from app.ingest.documents import Document
from app.ingest.pipeline import upsert_documents
from app.search import Mode, SearchRequest, SearchService
from app.text import configure
from app.text.tokenizer import AnalyzerConfig
from tests.reference.test_bm25 import assert_stats_equal_recount

DOCS = [
    Document(f"d{i}", title, f"{title}的介绍，第{i}篇。")
    for i, title in enumerate(["北京大学", "重庆", "背景"])
]


def vectors(pool: ConnectionPool) -> list[tuple[str, str]]:
    with pool.connection() as conn:
        rows = conn.execute("SELECT external_id, embedding::text FROM documents ORDER BY id").fetchall()
    return [(r[0], r[1]) for r in rows]


def test_documents_stored_before_get_their_pinyin_and_keep_their_vectors(
    pool: ConnectionPool,
    db_url: str,
    tiny_m3: Embedder,
    settings: Settings,
    restore_analyzer: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure(AnalyzerConfig(pinyin_fields=()))
    upsert_documents(pool, tiny_m3, DOCS)
    service = SearchService(pool, ModelHolder.ready(tiny_m3), settings)
    configure(AnalyzerConfig())
    assert service.search(SearchRequest("beijing daxue", Mode.keyword)).hits == []
    before = vectors(pool)

    report = retokenize(db_url, batch_size=2)
    assert (report.documents, report.retokenized, report.unchanged) == (3, 3, 0)
    assert [h.id for h in service.search(SearchRequest("beijing daxue", Mode.keyword)).hits] == ["d0"]
    assert [h.id for h in service.search(SearchRequest("重庆", Mode.keyword)).hits] == ["d1"]
    assert vectors(pool) == before  # no re-embedding
    assert_stats_equal_recount(pool)

    assert retokenize(db_url).retokenized == 0  # done: a second run only reads
    assert upsert_documents(pool, tiny_m3, DOCS)[:2] == (0, 3)  # the next ingest skips them too

    no_pinyin = settings.model_copy(update={"pinyin_fields": []})  # the CLI configures its analyzer
    monkeypatch.setattr(cli, "get_settings", lambda: no_pinyin)
    assert cli.main(["db", "retokenize", "--quiet"]) == 0
    assert '"retokenized": 3' in capsys.readouterr().out
    with pool.connection() as conn:
        assert conn.execute("SELECT sum(pinyin_len) FROM documents").fetchone() == (0,)
    assert cli.main(["db", "retokenize", "--batch-size", "0"]) == 2
