"""Concurrency: processes upserting and deleting overlapping ids while searches run end in a consistent
state (statistics equal a recount, every document whole and present once, holding one of the versions
written); the searches never error."""

from __future__ import annotations

import multiprocessing as mp
import random
import threading
from pathlib import Path

from psycopg_pool import ConnectionPool

from app.config import Settings
from app.db import open_pool
from app.embedding.loader import ModelHolder
from app.ingest.documents import Document
from app.search import Mode, SearchRequest, SearchService
from tests.db.test_crash import _assert_each_document_whole
from tests.reference.test_bm25 import assert_stats_equal_recount

IDS = 12
ROUNDS = 10
WORKERS = 3


def _worker(db_url: str, model_path: str, seed: int, errors: mp.Queue) -> None:  # type: ignore[type-arg]
    from app.embedding.bge_m3 import BGEM3Embedder
    from app.ingest.pipeline import upsert_documents
    from app.store import delete_document

    rng = random.Random(seed)
    embedder = BGEM3Embedder(model_path, model_path, "cpu", batch_size=8, max_length=128)
    pool = open_pool(db_url, Settings(database_url=db_url), min_size=1)
    try:
        for r in range(ROUNDS):
            ids = rng.sample(range(IDS), 4)
            docs = [
                Document(f"id{i}", f"版本 w{seed} r{r}", f"北京 上海 第{seed}号进程 第{r}轮 " * (1 + r % 3))
                for i in ids
            ]
            upsert_documents(pool, embedder, docs)
            with pool.connection() as conn:
                delete_document(conn, f"id{rng.randrange(IDS)}")
    except Exception as exc:  # noqa: BLE001 - reported to the test
        errors.put(f"worker {seed}: {type(exc).__name__}: {exc}")
    finally:
        pool.close()


def test_parallel_upserts_and_deletes(
    db_url: str, pool: ConnectionPool, settings: Settings, tiny_m3_path: Path
) -> None:
    ctx = mp.get_context("spawn")
    errors: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    procs = [ctx.Process(target=_worker, args=(db_url, str(tiny_m3_path), s, errors)) for s in range(WORKERS)]
    service = SearchService(pool, ModelHolder.unavailable("keyword only"), settings)
    failures: list[BaseException] = []
    done = threading.Event()

    def searching() -> None:
        while not done.is_set():
            try:
                service.search(SearchRequest("北京 上海", Mode.keyword), snippets=False)
            except BaseException as exc:  # noqa: BLE001
                failures.append(exc)

    searcher = threading.Thread(target=searching)
    searcher.start()
    for p in procs:
        p.start()
    for p in procs:
        p.join(300)
    done.set()
    searcher.join()
    reported = []
    while not errors.empty():
        reported.append(errors.get())
    assert not reported, reported
    assert all(p.exitcode == 0 for p in procs)
    assert not failures, failures[:3]
    assert_stats_equal_recount(pool)
    _assert_each_document_whole(pool)
    with pool.connection() as conn:
        rows = conn.execute("SELECT external_id, title, body FROM documents").fetchall()
    assert len({r[0] for r in rows}) == len(rows)
    for _, title, body in rows:  # one whole version: title and body written together
        w, r = title.split()[1:]
        assert f"第{w[1:]}号进程 第{r[1:]}轮" in body
