"""`hybrid-search sql-params "QUERY"`: what an analyst needs to run the search functions in psql by hand —
the query's tokens and its vector, as psql variables, and the statements that use them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.config import Settings


def array_literal(items: Sequence[str]) -> str:
    """A PostgreSQL text[] literal: every element double-quoted, `"` and `\\` backslash-escaped."""
    quoted = ('"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"' for t in items)
    return "{" + ",".join(quoted) + "}"


def vector_literal(vec: np.ndarray) -> str:
    """pgvector's text form: '[x,y,...]' with float32's shortest round-tripping digits."""
    return "[" + ",".join(str(x) for x in np.asarray(vec, dtype=np.float32)) + "]"


def psql_set(name: str, value: str) -> str:
    """A psql `\\set` line. psql reads backslash escapes and doubled quotes inside single quotes."""
    return f"\\set {name} '" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def search_arguments(settings: Settings) -> dict[str, str]:
    """The named arguments /search passes from the settings, per function, so psql ranks alike."""
    bm25 = f"k1 => {settings.bm25_k1}, b => {settings.bm25_b}, title_weight => {settings.title_weight}"
    vector = f"ef_search => {settings.hnsw_ef_search}, exact_below => {settings.exact_search_below}"
    return {
        "keyword": bm25,
        "semantic": vector,
        "hybrid": f"rrf_k => {settings.rrf_k}, rank_window => {settings.rank_window}, {bm25}, {vector}",
    }


def psql_script(
    terms: list[str], vector: np.ndarray | None, limit: int, settings: Settings, note: str | None = None
) -> str:
    """The `\\set` lines, then example statements with /search's parameters; without a vector, only
    the keyword ones."""
    args = search_arguments(settings)
    lines = [psql_set("terms", array_literal(terms))]
    if vector is not None:
        lines.append(psql_set("embedding", vector_literal(vector)))
    if note:
        lines.append(f"-- {note}")
    lines.append("-- then, for example (the parameters /search uses with these settings):")
    lines.append(f"SELECT id, title, score FROM search.keyword(:'terms', {limit}, 0, {args['keyword']});")
    embedding = ":'embedding'" if vector is not None else "NULL"
    if vector is not None:
        lines.append(
            f"SELECT id, title, score FROM search.semantic(:'embedding', {limit}, 0, {args['semantic']});"
        )
    lines.append(
        "SELECT id, title, score, keyword_rank, semantic_rank"
        f" FROM search.hybrid(:'terms', {embedding}, {limit}, 0, {args['hybrid']});"
    )
    return "\n".join(lines)
