"""The query log: one row per search the API answers, in search.query_log, for analysts' views, click
validation and suggestions.

Requests only append to an in-memory queue (app/search/batches.py) written in batches (COPY), so
logging adds microseconds to a request, not a database round trip. The log also remembers the last
searches it saw, so a click on one of them is checked without reading the database."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from app.db import query
from app.ingest.documents import clean_text
from app.search.batches import BatchWriter

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
    search_id: str | None = None
    client: str | None = None

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
            self.search_id,
            self.client,
        )


@dataclass(frozen=True)
class Page:
    """What a click is checked against: the page a search returned."""

    offset: int
    ids: list[str]


class QueryLog(BatchWriter[LoggedSearch]):
    """Batches searches into search.query_log; QUERY_LOG_DAYS bounds it (pruned hourly)."""

    name = "query-log"

    def __init__(self, pool: ConnectionPool, *, retention_days: int = 0, remember: int = 10_000, **kw: Any):
        self.retention_days = retention_days
        self._last_prune = 0.0
        self._recent: OrderedDict[str, Page] = OrderedDict()
        self._remember = remember
        self._lock = threading.Lock()
        super().__init__(pool, **kw)

    def record(self, entry: LoggedSearch) -> None:
        if entry.search_id is not None:
            with self._lock:
                self._recent[entry.search_id] = Page(entry.page_offset, entry.top_ids)
                while len(self._recent) > self._remember:
                    self._recent.popitem(last=False)
        super().record(entry)

    def recent(self, search_id: str) -> Page | None:
        """The page of a search this process answered lately (written or still queued)."""
        with self._lock:
            return self._recent.get(search_id)

    def write(self, conn: psycopg.Connection, entries: Sequence[LoggedSearch]) -> int:
        with conn.cursor() as cur, cur.copy(query("copy_query_log")) as copy:
            for e in entries:
                copy.write_row(e.row())
        return len(entries)

    def housekeeping(self) -> None:
        """Once an hour, drop entries older than QUERY_LOG_DAYS (0 keeps them all)."""
        if self.retention_days <= 0 or time.monotonic() - self._last_prune < 3600:
            return
        self._last_prune = time.monotonic()
        try:
            with self.pool.connection(timeout=5) as conn:
                conn.execute(query("prune_query_log"), {"days": self.retention_days})
        except Exception as exc:
            log.warning("query log: pruning failed: %s", exc)
