"""The query log: one row per search the API answers, in search.query_log, for analysts' views.

Requests only append to an in-memory queue; a background thread writes the queue in batches (COPY),
so logging adds microseconds to a request, not a database round trip. When the database is slow or
down, the queue is bounded: entries beyond it are dropped and counted, never waited for.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any

from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from app.db import query
from app.ingest.documents import clean_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoggedSearch:
    at: dt.datetime
    query: str
    mode: str
    filters: dict[str, Any] | None
    page_offset: int
    page_limit: int
    latency_ms: float
    hits: int
    top_ids: list[str]
    degraded: bool

    def row(self) -> tuple[Any, ...]:
        return (
            self.at,
            clean_text(self.query),  # a NUL would fail the whole batch's COPY
            self.mode,
            Jsonb(self.filters) if self.filters is not None else None,
            self.page_offset,
            self.page_limit,
            self.latency_ms,
            self.hits,
            self.top_ids,
            self.degraded,
        )


class QueryLog:
    """Batches searches into search.query_log from a daemon thread; `close()` flushes what is queued."""

    def __init__(
        self,
        pool: ConnectionPool,
        *,
        retention_days: int = 0,
        max_queued: int = 10_000,
        batch: int = 500,
        interval_s: float = 1.0,
    ) -> None:
        self.pool = pool
        self.retention_days = retention_days
        self.batch = batch
        self.interval_s = interval_s
        self.dropped = 0  # entries lost to a full queue (the database could not keep up)
        self.failed = 0  # entries lost to a failed write
        self.written = 0
        self._queue: queue.Queue[LoggedSearch | None] = queue.Queue(maxsize=max_queued)
        self._last_prune = 0.0
        self._thread = threading.Thread(target=self._run, name="query-log", daemon=True)
        self._thread.start()

    def record(self, entry: LoggedSearch) -> None:
        try:
            self._queue.put_nowait(entry)
        except queue.Full:
            self.dropped += 1

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop the thread."""
        with contextlib.suppress(queue.Full):
            self._queue.put(None, timeout=timeout)
        self._thread.join(timeout)

    def _run(self) -> None:
        stop = False
        while not stop:
            entries: list[LoggedSearch] = []
            deadline = time.monotonic() + self.interval_s
            while len(entries) < self.batch:
                try:
                    item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                entries.append(item)
            if entries:
                self._write(entries)
            self._prune()

    def _write(self, entries: list[LoggedSearch]) -> None:
        try:
            with (
                self.pool.connection(timeout=5) as conn,
                conn.cursor() as cur,
                cur.copy(query("copy_query_log")) as copy,
            ):
                for e in entries:
                    copy.write_row(e.row())
            self.written += len(entries)
        except Exception as exc:  # the log must never take a request, or the service, down
            self.failed += len(entries)
            log.warning("query log: %d searches not written: %s", len(entries), exc)

    def _prune(self) -> None:
        """Once an hour, drop entries older than QUERY_LOG_DAYS (0 keeps them all)."""
        if self.retention_days <= 0 or time.monotonic() - self._last_prune < 3600:
            return
        self._last_prune = time.monotonic()
        try:
            with self.pool.connection(timeout=5) as conn:
                conn.execute(query("prune_query_log"), {"days": self.retention_days})
        except Exception as exc:
            log.warning("query log: pruning failed: %s", exc)
