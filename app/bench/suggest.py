"""The bench's suggestions section: a query log as a site's would be (popular queries repeat as a
Zipf distribution, many clients, keystrokes before a query, some queries that find nothing), the
rebuild's time, and the latency of completing what people type (Han prefixes, pinyin, initials)."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Iterator, Sequence
from typing import Any

from psycopg_pool import ConnectionPool

from app.bench.queries import BenchQuery
from app.bench.stats import latency_summary
from app.db import query
from app.search.query_log import LoggedSearch
from app.search.suggest import reading, refresh, suggest

CLIENT_PREFIX = "bench-"  # the synthetic log's clients; its rows are removed afterwards


def log_rows(
    vocabulary: Sequence[str], searches: int, clients: int, seed: int = 11
) -> Iterator[tuple[Any, ...]]:
    """Rows for search.query_log as the API writes them (LoggedSearch): each search a Zipf(1.07) draw
    over the vocabulary by a random client within the last 20 days, three in ten preceded two seconds
    earlier by a keystroke (the query's first half), one query in twenty finding nothing."""
    rng = random.Random(seed)
    weights = [1 / (rank + 1) ** 1.07 for rank in range(len(vocabulary))]
    empty = set(rng.sample(range(len(vocabulary)), len(vocabulary) // 20))
    now = dt.datetime.now(dt.UTC)

    def logged(at: dt.datetime, q: str, hits: int, client: str) -> tuple[Any, ...]:
        return LoggedSearch(at, q, "hybrid", None, 0, 10, 10.0, hits, [], False, None, client).row()

    for i in rng.choices(range(len(vocabulary)), weights, k=searches):
        q = vocabulary[i]
        client = f"{CLIENT_PREFIX}{rng.randrange(clients)}"
        at = now - dt.timedelta(seconds=rng.uniform(10, 20 * 86400))
        hits = 0 if i in empty else rng.randint(1, 10)
        if len(q) > 1 and rng.random() < 0.3:
            yield logged(at - dt.timedelta(seconds=2), q[: len(q) // 2], 5, client)
        yield logged(at, q, hits, client)


def prefixes_typed(texts: Sequence[str], count: int, seed: int = 12) -> list[tuple[str, str]]:
    """(kind, prefix) pairs as people type the texts: their first 1-3 characters, the first 2-6 letters
    of their pinyin, their first 2-3 initials."""
    rng = random.Random(seed)
    out: list[tuple[str, str]] = []
    while len(out) < count and texts:
        text = rng.choice(texts)
        r = reading(text)
        out.append(("text", text[: rng.randint(1, 3)]))
        if r.pinyin:
            out.append(("pinyin", r.pinyin[: rng.randint(2, 6)]))
            out.append(("initials", r.initials[: rng.randint(2, 3)]))
    return out[:count]


def bench_suggest(
    pool: ConnectionPool,
    queries: Sequence[BenchQuery],
    titles: Sequence[str],
    *,
    searches: int = 100_000,
    clients: int = 10_000,
    min_clients: int = 3,
) -> dict[str, Any]:
    """With the corpus's titles; when it has (almost) none, also with every document's first 24
    characters as its title, set for the measurement and removed after, so the title side is
    measured at the corpus's size."""
    vocabulary = list(dict.fromkeys(q.text for q in queries if q.kind != "long"))
    out = _measure(pool, vocabulary, titles, searches, clients, min_clients)
    with pool.connection() as conn:
        row = conn.execute("SELECT count(*) FILTER (WHERE title = ''), count(*) FROM documents").fetchone()
    if row and row[0] > 0.9 * row[1]:
        with pool.connection() as conn:
            conn.execute(query("bench_first_words_as_titles"), {"chars": 24})
            made = [r[0] for r in conn.execute("SELECT title FROM documents WHERE title <> '' LIMIT 5000")]
        try:
            out["with_titles_from_text"] = _measure(pool, vocabulary, made, searches, clients, min_clients)
        finally:
            with pool.connection() as conn:
                conn.execute("UPDATE documents SET title = '' WHERE title <> ''")
            refresh(pool, min_clients, 30, wait=True)
    return out


def _measure(
    pool: ConnectionPool,
    vocabulary: list[str],
    titles: Sequence[str],
    searches: int,
    clients: int,
    min_clients: int,
) -> dict[str, Any]:
    with pool.connection() as conn, conn.cursor() as cur:
        with cur.copy(query("copy_query_log")) as copy:
            for row in log_rows(vocabulary, searches, clients):
                copy.write_row(row)
        logged = cur.execute(
            "SELECT count(*) FROM search.query_log WHERE client LIKE %s", (CLIENT_PREFIX + "%",)
        ).fetchone()
    t0 = time.perf_counter()
    made = refresh(pool, min_clients, 30, wait=True)
    refresh_s = time.perf_counter() - t0
    with pool.connection() as conn:
        sizes = conn.execute(
            "SELECT (SELECT count(*) FROM search.suggest_terms),"
            " (SELECT count(*) FROM search.suggest_prefixes)"
        ).fetchone()
        typed = prefixes_typed(list(titles[:5000]) + vocabulary[:2000], 1500)
        for _, p in typed[:50]:
            suggest(conn, p, 8)  # warm-up
        per_kind: dict[str, list[float]] = {}
        empty = 0
        for kind, p in typed:
            t1 = time.perf_counter()
            found = suggest(conn, p, 8)
            per_kind.setdefault(kind, []).append((time.perf_counter() - t1) * 1000)
            empty += not found
        examples = {p: [s.text for s in suggest(conn, p, 5)] for _, p in typed[:6]}
        conn.execute("DELETE FROM search.query_log WHERE client LIKE %s", (CLIENT_PREFIX + "%",))
    every = [ms for v in per_kind.values() for ms in v]
    return {
        "note": "what GET /suggest does in the service (fold, search.suggest on a connection), no HTTP",
        "log": {
            "searches": logged[0] if logged else 0,
            "clients": clients,
            "distinct_queries": len(vocabulary),
            "shape": "Zipf(1.07) over the queries, 30% with a keystroke before, 5% finding nothing, 20 days",
        },
        "titles_typed_from": len(titles),
        "refresh_s": round(refresh_s, 2),
        "suggestions": made,
        "suggest_terms": sizes[0] if sizes else 0,
        "prefix_rows": sizes[1] if sizes else 0,
        "latency_ms": latency_summary(every),
        "by_kind_p50_ms": {k: latency_summary(v)["p50"] for k, v in sorted(per_kind.items())},
        "no_suggestion_share": round(empty / max(len(typed), 1), 3),
        "examples": examples,
    }
