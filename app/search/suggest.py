"""Suggestions while typing (GET /suggest): document titles and popular queries (distinct clients,
results found) completing a prefix of their text, their pinyin or their initials, traditional folded.

The database keeps them ready (sql/17_suggest.sql): this module computes what SQL cannot — each new
candidate's reading (folded text, pypinyin syllables) — and asks search.refresh_suggestions to
rebuild; the service does so at start and every SUGGEST_REFRESH_MINUTES (0: never), `hybrid-search suggest
--refresh` on demand."""

from __future__ import annotations

import logging
import threading
from dataclasses import astuple, dataclass

import psycopg
from psycopg_pool import ConnectionPool

from app.db import query
from app.text.pinyin import HAN_RUN
from app.text.tokenizer import analyzer, normalize

log = logging.getLogger(__name__)

MAX_SUGGESTIONS = 10
REFRESH_LOCK = 0x5355_4747  # pg advisory lock: one refresh at a time across workers and the CLI


@dataclass(frozen=True)
class Reading:
    key: str  # as search.query_key, of the folded text
    pinyin: str  # Han as syllables, other text kept, no spaces ("" without Han)
    initials: str  # Han as the syllables' first letters


def suggestion_key(text: str) -> str:
    """A text as suggestions are matched: NFKC, lowercase, traditional folded, spaces collapsed."""
    return " ".join(analyzer().fold(normalize(text)).split())


def reading(display: str) -> Reading:
    from pypinyin import lazy_pinyin

    key = suggestion_key(display)
    if not HAN_RUN.search(key):
        return Reading(key, "", "")
    full: list[str] = []
    initials: list[str] = []
    end = 0
    for run in HAN_RUN.finditer(key):
        other = _compact(key[end : run.start()])
        syllables = [s for s in lazy_pinyin(run.group()) if s]
        full += [other, *syllables]
        initials += [other, *(s[0] for s in syllables)]
        end = run.end()
    tail = _compact(key[end:])
    return Reading(key, "".join(full) + tail, "".join(initials) + tail)


def _compact(text: str) -> str:
    """Latin text as it joins pinyin: no spaces or apostrophes (bei jing, xi'an)."""
    return "".join(c for c in text if not c.isspace() and c != "'")


def refresh(pool: ConnectionPool, min_clients: int, days: int, wait: bool = False) -> int | None:
    """Add the readings of new candidates, rebuild; the number of suggestions, or None when another
    refresh holds the lock (unless `wait`: then after it)."""
    with pool.connection() as conn, conn.transaction():
        conn.execute("SET LOCAL statement_timeout = 0")  # a rebuild is maintenance, not a search
        if wait:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (REFRESH_LOCK,))
        elif not conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (REFRESH_LOCK,)).fetchone()[0]:  # type: ignore[index]
            return None
        params = {"min_clients": min_clients, "days": days}
        conn.execute(query("suggest_candidates"), params)
        new = [r[0] for r in conn.execute(query("suggest_unread"))]
        readings = [(d, *astuple(reading(d))) for d in new]
        with conn.cursor() as cur, cur.copy(query("copy_suggest_readings")) as copy:
            for values in readings:
                copy.write_row(values)
        row = conn.execute(query("suggest_refresh"), params).fetchone()
    return int(row[0]) if row else 0


@dataclass(frozen=True)
class Suggestion:
    text: str
    clients: int  # distinct clients who searched it (0: a title nobody searched)
    title: bool  # a document's title


def suggest(conn: psycopg.Connection, prefix: str, limit: int = 8) -> list[Suggestion]:
    key = suggestion_key(prefix)
    if not key:
        return []
    rows = conn.execute(query("suggest"), {"prefix": key, "limit": min(limit, MAX_SUGGESTIONS)})
    return [Suggestion(r[0], r[1], r[2]) for r in rows]


class Refresher:
    """Refreshes suggestions now and every `minutes` from a daemon thread (0: never)."""

    def __init__(self, pool: ConnectionPool, min_clients: int, days: int, minutes: float) -> None:
        self.pool = pool
        self.args = (min_clients, days)
        self.minutes = minutes
        self.refreshed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="suggest-refresh", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while self.minutes > 0:
            try:
                if refresh(self.pool, *self.args) is not None:
                    self.refreshed += 1
            except Exception as exc:  # suggestions stay as they were; searches are untouched
                log.warning("suggestions: refresh failed: %s", exc)
            if self._stop.wait(self.minutes * 60):
                return

    def close(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)
