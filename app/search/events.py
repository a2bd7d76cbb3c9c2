"""Click events (POST /events): checked against the search that showed the document, queued, and
written in batches by search.record_events, which stores only clicks on a logged search's shown
documents whatever the request said.

A search id is a UUIDv7 (RFC 9562): its first 48 bits are the time it was made, so an id of a search
another worker answered a moment ago (its log row still queued there) is told apart from a made-up
one, and the log's index on it grows at its end."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from app.db import query
from app.errors import InvalidQuery, NotFound
from app.search.batches import BatchWriter
from app.search.query_log import Page, QueryLog

CLIENT_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
IN_FLIGHT_S = 5.0  # a search younger than this may still be queued in another worker's log


def new_search_id(now_ms: int | None = None) -> str:
    """A UUIDv7: 48 bits of Unix milliseconds, version, 74 random bits, variant."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | (rand >> 68 & 0xFFF) << 64 | 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


def search_id_ms(search_id: str) -> int | None:
    """When a search id was made (Unix ms), or None when it is not a UUIDv7."""
    try:
        u = uuid.UUID(search_id)
    except ValueError:
        return None
    return u.int >> 80 if u.version == 7 else None


def client_of(header: str | None, host: str | None, agent: str | None) -> str:
    """Who is searching or clicking: the page's X-Client-Id (a random id it keeps), else a hash of the
    address and user agent (suggestions count distinct clients; no address is stored)."""
    if header and CLIENT_ID.fullmatch(header):
        return header
    digest = hashlib.sha256(f"{host or ''}\n{agent or ''}".encode()).hexdigest()
    return "h:" + digest[:16]


@dataclass(frozen=True)
class Click:
    at: dt.datetime
    search_id: str
    doc_id: str
    position: int
    client: str | None
    kind: str = "click"


def check_click(page: Page, click: Click) -> None:
    """A click must name a document the search showed, at the position it showed it."""
    index = click.position - page.offset - 1
    if not 0 <= index < len(page.ids):
        raise InvalidQuery(
            f"position {click.position} is not on the page search {click.search_id} returned "
            f"(positions {page.offset + 1}-{page.offset + len(page.ids)})"
        )
    if page.ids[index] != click.doc_id:
        shown = page.ids[index]
        raise InvalidQuery(f"search {click.search_id} showed {shown!r} at position {click.position}")


def logged_page(conn: psycopg.Connection, search_id: str) -> Page | None:
    row = conn.execute(query("logged_page"), {"search_id": search_id}).fetchone()
    return Page(row[0], list(row[1])) if row else None


class EventLog(BatchWriter[Click]):
    """Batches clicks into search.events, each held IN_FLIGHT_S/2 so the log rows they name are
    written first, whichever worker answered the search."""

    name = "events"

    def __init__(self, pool: ConnectionPool, searches: QueryLog, **kw: Any) -> None:
        self.searches = searches
        # a cycle is about interval + delay (3.5 s): batches of up to 5,000 keep up with 1,400 clicks/s
        kw = {"delay_s": IN_FLIGHT_S / 2, "batch": 5000, "max_queued": 20_000, **kw}
        super().__init__(pool, **kw)

    def accept(self, click: Click, now_ms: int | None = None) -> None:
        """Check a click and queue it; raises NotFound (unknown search) or InvalidQuery (not shown)."""
        page = self.searches.recent(click.search_id)
        if page is None:
            with self.pool.connection(timeout=5) as conn:
                page = logged_page(conn, click.search_id)
        if page is None:
            made = search_id_ms(click.search_id)
            now = int(time.time() * 1000) if now_ms is None else now_ms
            if made is None or not -1000 <= now - made <= IN_FLIGHT_S * 1000:
                raise NotFound(f"no search {click.search_id} (clicks name the search_id of a recent answer)")
            # answered a moment ago by another worker: search.record_events checks it when written
        else:
            check_click(page, click)
        self.record(click)

    def write(self, conn: psycopg.Connection, entries: Sequence[Click]) -> int:
        row = conn.execute(
            query("record_events"),
            {
                "ats": [e.at for e in entries],
                "kinds": [e.kind for e in entries],
                "search_ids": [e.search_id for e in entries],
                "doc_ids": [e.doc_id for e in entries],
                "positions": [e.position for e in entries],
                "clients": [e.client for e in entries],
            },
        ).fetchone()
        return int(row[0]) if row else 0
