"""`hybrid-search reembed`: switching models (tiny bge-m3, 32-d with a sparse head -> all-MiniLM-L6-v2,
384-d without, and back) while searches and writes go on; a running service notices the switch,
answers from the keyword leg and loads the new model; --abort; refusals."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from psycopg_pool import ConnectionPool

from app import cli
from app.config import Settings
from app.embedding.base import Embedder
from app.embedding.loader import ModelHolder
from app.ingest.documents import Document
from app.ingest.pipeline import EmbedPlan, upsert_documents
from app.reembed import reembed
from app.search import Mode, SearchRequest, SearchService

TEXTS = [
    "The cat sat on the mat and purred.",
    "Stock markets fell sharply on Monday.",
    "A recipe for tomato soup with basil.",
    "北京是中国的首都。",
    "The football match ended in a draw.",
    "Quantum computers use qubits.",
]


def _docs(prefix: str, n: int) -> list[Document]:
    return [
        Document(f"{prefix}{i}", f"title {i}", TEXTS[i % len(TEXTS)] + f" number {i}", None, {})
        for i in range(n)
    ]


def _layout(pool: ConnectionPool) -> dict[str, object]:
    with pool.connection() as conn:
        return {
            "model": conn.execute("SELECT name, dim, sparse_dim FROM search.embedding_model").fetchone(),
            "passages_type": conn.execute(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                " WHERE attrelid = 'search.passages'::regclass AND attname = 'embedding'"
            ).fetchone(),
            "columns": sorted(
                r[0]
                for r in conn.execute(
                    "SELECT attname FROM pg_attribute WHERE attrelid = 'public.documents'::regclass"
                    " AND attnum > 0 AND NOT attisdropped AND attname IN"
                    " ('embedding', 'sparse', 'embedding_next', 'sparse_next')"
                )
            ),
            "next_table": conn.execute("SELECT to_regclass('search.passages_next')").fetchone(),
            "passages_options": conn.execute(
                "SELECT reloptions FROM pg_class WHERE oid = 'search.passages'::regclass"
            ).fetchone(),
            "indexes": sorted(
                r[0]
                for r in conn.execute(
                    "SELECT indexname FROM pg_indexes"
                    " WHERE indexname LIKE '%hnsw%' OR indexname LIKE 'passages%'"
                )
            ),
            "missing_vectors": conn.execute(
                "SELECT count(*) FROM documents d WHERE NOT EXISTS"
                " (SELECT 1 FROM search.passages p WHERE p.doc_id = d.id) OR d.embedding IS NULL"
            ).fetchone(),
        }


def test_switch_models_while_searching_and_writing(
    pool: ConnectionPool, settings: Settings, tiny_m3: Embedder, minilm: Embedder, minilm_path: Path
) -> None:
    upsert_documents(pool, tiny_m3, _docs("d", 40))
    before = _layout(pool)
    assert before["model"][1:] == (32, tiny_m3.sparse_dim)  # type: ignore[index,attr-defined]

    def load_named(name: str) -> Embedder:
        assert name == minilm.name
        return minilm

    # a "running service": it holds the old model and can load another by name
    holder = ModelHolder(lambda: tiny_m3, None, load_named)
    holder.load()
    service = SearchService(pool, holder, settings)
    stop = threading.Event()
    failures: list[BaseException] = []
    rounds = [0]  # searches finished, so the test can wait for one begun after the swap

    def searching() -> None:
        while not stop.is_set():
            try:
                assert service.search(SearchRequest("cat mat", Mode.keyword), snippets=False).hits
                service.search(SearchRequest("cat mat", Mode.hybrid), snippets=False)
            except BaseException as exc:  # noqa: BLE001
                failures.append(exc)
            rounds[0] += 1

    def writing() -> None:  # the old model keeps writing until the swap (then it is refused)
        for i in range(10):
            try:
                upsert_documents(pool, tiny_m3, _docs("w", i + 1)[-1:])
            except Exception:  # noqa: BLE001 - after the swap the old model is refused: expected
                break

    threads = [threading.Thread(target=searching), threading.Thread(target=writing)]
    for t in threads:
        t.start()
    try:
        report = reembed(pool, minilm, EmbedPlan.from_settings(settings), batch_size=8)
        swapped_at, deadline = rounds[0], time.monotonic() + 30
        while rounds[0] < swapped_at + 2 and time.monotonic() < deadline:  # a round begun after the swap
            time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not failures, failures[:3]
    assert report.model == minilm.name and report.dim == 384 and report.embedded >= 40

    after = _layout(pool)
    assert after["model"] == (minilm.name, 384, None)
    storage = str(before["passages_type"][0]).split("(")[0]  # type: ignore[index]
    assert after["passages_type"] == (f"{storage}(384)",)  # stored as before
    assert after["passages_options"] == before["passages_options"] == (["toast_tuple_target=4080"],)
    assert after["columns"] == ["embedding", "sparse"] and after["next_table"] == (None,)
    assert "passages_embedding_hnsw" in after["indexes"] and "documents_sparse_hnsw" not in after["indexes"]
    assert after["missing_vectors"] == (0,)  # every document, written meanwhile too, has new vectors
    with pool.connection() as conn:
        n_docs = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        assert n_docs >= 41 and conn.execute("SELECT count(*) FROM search.reembed_target").fetchone() == (0,)

    # The service that searched during the switch has loaded the new model by itself.
    assert holder.wait(30) and holder.get() is minilm
    # Another one, still on the old model, meets the switch: hybrid answers from the keyword leg,
    # semantic says why it cannot, and the new model loads (held back here until we have looked).
    release = threading.Event()

    def slow_load(name: str) -> Embedder:
        release.wait(30)
        return load_named(name)

    old = ModelHolder(lambda: tiny_m3, None, slow_load)
    old.load()
    stale = SearchService(pool, old, settings)
    first = stale.search(SearchRequest("cat mat", Mode.hybrid), snippets=False)
    assert first.degraded and "switched" in (first.degraded_reason or "") and first.hits
    from app.errors import ModelUnavailable

    with pytest.raises(ModelUnavailable, match="switched"):
        stale.search(SearchRequest("cat mat", Mode.semantic), snippets=False)
    assert old.status == "loading"
    release.set()
    assert old.wait(30) and old.get() is minilm
    again = stale.search(SearchRequest("a cat sitting on a mat", Mode.semantic), snippets=False)
    assert not again.degraded and again.hits[0].id in {f"d{i}" for i in range(0, 40, len(TEXTS))} | {
        "w0",
        "w6",
    }
    # the old model is refused for writes now
    from app.errors import ModelMismatch

    with pytest.raises(ModelMismatch):
        upsert_documents(pool, tiny_m3, _docs("x", 1))

    # And back, to a model with lexical weights: the sparse column and its index come back.
    back = reembed(pool, tiny_m3, EmbedPlan.from_settings(settings), batch_size=16)
    assert back.dim == 32
    final = _layout(pool)
    assert final["model"][1:] == (32, tiny_m3.sparse_dim)  # type: ignore[index,attr-defined]
    assert "documents_sparse_hnsw" in final["indexes"] and final["missing_vectors"] == (0,)
    with pool.connection() as conn:
        assert conn.execute("SELECT count(*) FROM documents WHERE sparse IS NULL").fetchone() == (0,)


def test_reembed_cli_refusals_and_abort(
    pool: ConnectionPool,
    settings: Settings,
    tiny_m3: Embedder,
    tiny_m3_path: Path,
    minilm_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    assert cli.main(["reembed", "--model", str(minilm_path)]) == 2  # nothing registered yet
    assert "no embedding model is registered" in capsys.readouterr().err
    upsert_documents(pool, tiny_m3, _docs("d", 5))
    assert cli.main(["reembed", "--model", str(tiny_m3_path)]) == 2
    assert "already holds vectors from" in capsys.readouterr().err
    assert cli.main(["reembed"]) == 2
    # an interrupted switch: begun, then abandoned
    with pool.connection() as conn:
        conn.execute("SELECT search.reembed_begin('other-model', 8, NULL)")
    assert _layout(pool)["next_table"] != (None,)
    assert cli.main(["reembed", "--abort"]) == 0
    layout = _layout(pool)
    assert layout["next_table"] == (None,) and layout["columns"] == ["embedding", "sparse"]
    assert layout["model"][1] == 32  # type: ignore[index]
    # the CLI end to end, with a progress bar off
    assert cli.main(["reembed", "--model", str(minilm_path), "--quiet", "--batch-size", "2"]) == 0
    assert '"dim": 384' in capsys.readouterr().out
    assert _layout(pool)["model"][1] == 384  # type: ignore[index]
