"""A bounded queue written to the database in batches from a daemon thread: the query log and the
click events both append from requests and must never make a request wait on the database.

When the database is slow or down the queue is bounded: entries beyond it are dropped and counted,
never waited for; a failed write loses its batch (counted) and never the service."""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Sequence
from typing import Generic, TypeVar

import psycopg
from psycopg_pool import ConnectionPool

log = logging.getLogger(__name__)

T = TypeVar("T")


class BatchWriter(Generic[T]):
    """Subclasses say how a batch is written (`write`); `close()` writes what is queued, then stops.

    `delay_s` holds each entry at least that long after it was recorded before it is written: events
    wait for the query log rows they are checked against, which another worker may still be batching."""

    name = "batch"

    def __init__(
        self,
        pool: ConnectionPool,
        *,
        max_queued: int = 10_000,
        batch: int = 500,
        interval_s: float = 1.0,
        delay_s: float = 0.0,
    ) -> None:
        self.pool = pool
        self.batch = batch
        self.interval_s = interval_s
        self.delay_s = delay_s
        self.dropped = 0  # entries lost to a full queue (the database could not keep up)
        self.failed = 0  # entries lost to a failed write
        self.rejected = 0  # entries the write itself refused (events whose search the log does not hold)
        self.written = 0
        self._queue: queue.Queue[tuple[float, T]] = queue.Queue(maxsize=max_queued)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def record(self, entry: T) -> None:
        try:
            self._queue.put_nowait((time.monotonic(), entry))
        except queue.Full:
            self.dropped += 1

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop the thread."""
        self._stop.set()
        self._thread.join(timeout + self.delay_s)

    def write(self, conn: psycopg.Connection, entries: Sequence[T]) -> int:
        """Write one batch; returns how many entries were stored."""
        raise NotImplementedError

    def housekeeping(self) -> None:
        """Called every interval, after its batches (if any)."""

    def _run(self) -> None:
        """Every interval_s (or at close), everything queued, written in batches. The thread sleeps on
        its own event, not on the queue, so recording an entry never wakes it: a search pays a
        put into the queue, not a thread switch."""
        while True:
            stopping = self._stop.wait(self.interval_s)
            entries = self._drain()
            for i in range(0, len(entries), self.batch):
                chunk = entries[i : i + self.batch]
                time.sleep(max(0.0, chunk[-1][0] + self.delay_s - time.monotonic()))
                self._write([e for _, e in chunk])
            self.housekeeping()
            if stopping:
                return

    def _drain(self) -> list[tuple[float, T]]:
        entries: list[tuple[float, T]] = []
        with contextlib.suppress(queue.Empty):
            while True:
                entries.append(self._queue.get_nowait())
        return entries

    def _write(self, entries: list[T]) -> None:
        try:
            with self.pool.connection(timeout=5) as conn:
                stored = self.write(conn, entries)
            self.written += stored
            self.rejected += len(entries) - stored
        except Exception as exc:  # a write must never take a request, or the service, down
            self.failed += len(entries)
            log.warning("%s: %d entries not written: %s", self.name, len(entries), exc)
