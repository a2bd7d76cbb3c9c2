"""`hybrid-search sql-params "QUERY"`: what an analyst needs to run the search functions in psql by hand —
the query's tokens and its vector as psql variables, and the very calls /search makes (the function call
of app/queries/search_<mode>.sql, with this request's values)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from psycopg.types.json import Jsonb

from app.db import query
from app.search.request import Mode

# The function call inside a search statement, and a placeholder with its optional cast.
CALL = re.compile(r"FROM (search\.\w+)\((.*?)\) (?:WITH ORDINALITY )?AS h", re.S)
PLACEHOLDER = re.compile(r"%\((\w+)\)s(::[\w\[\]]+)?")
PSQL_VARIABLES = {
    "terms": ":'terms'",
    "embedding": ":'embedding'",
    "facet_terms": ":'terms'",
    "facet_embedding": ":'embedding'",
}
COLUMNS = {
    Mode.keyword: "id, title, score",
    Mode.semantic: "id, title, score",
    Mode.hybrid: "id, title, score, keyword_rank, semantic_rank",
}


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


def sql_literal(value: Any) -> str:
    """A value as SQL text: NULL, true/false, a number, or a quoted string (JSON for filters, an array
    literal for a list of strings)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Jsonb):
        value = json.dumps(value.obj, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, list):
        value = array_literal([str(v) for v in value])
    return "'" + str(value).replace("'", "''") + "'"


def function_call(mode: Mode, params: dict[str, Any]) -> str:
    """The `search.<mode>(...)` call the service makes, with `params` written in: the query's tokens
    and vector as psql variables, everything else as literals. snippet_width is left to its default
    (the service builds its own snippets; psql gets the function's)."""
    match = CALL.search(query(f"search_{mode.value}"))
    assert match is not None, f"no search function call in search_{mode.value}.sql"
    function, args = match.groups()
    args = re.sub(r",\s*snippet_width => 0", "", args)
    return f"{function}({written_in(args, params)})"


def written_in(sql_text: str, params: dict[str, Any]) -> str:
    """`sql_text` with its named parameters written in: the query's tokens and vector as psql variables,
    everything else as literals, on one line."""

    def value(m: re.Match[str]) -> str:
        name, cast = m.group(1), m.group(2) or ""
        if name in PSQL_VARIABLES and params[name] is not None:
            return PSQL_VARIABLES[name] + cast
        return sql_literal(params[name]) + (cast if params[name] is not None else "")

    return " ".join(PLACEHOLDER.sub(value, sql_text).split())


def facets_statement(params: dict[str, Any]) -> str:
    """The search.facets statement /search runs for `total` and `facets` (app/queries/search_facets.sql)."""
    body = "\n".join(line for line in query("search_facets").splitlines() if not line.startswith("--"))
    return written_in(body, params) + ";"


def psql_script(
    terms: list[str],
    vector: np.ndarray | None,
    params: dict[str, Any],
    note: str | None = None,
) -> str:
    """The `\\set` lines, then the statements /search runs for these parameters (the service's
    statement_parameters); without a vector, only the keyword ones."""
    lines = [psql_set("terms", array_literal(terms))]
    if vector is not None:
        lines.append(psql_set("embedding", vector_literal(vector)))
    if note:
        lines.append(f"-- {note}")
    lines.append("-- then the calls /search makes with these settings and options:")
    modes = [Mode.keyword, Mode.semantic, Mode.hybrid] if vector is not None else [Mode.keyword, Mode.hybrid]
    for mode in modes:
        lines.append(f"SELECT {COLUMNS[mode]} FROM {function_call(mode, leg_params(mode, params))};")
    return "\n".join(lines)


# What only the keyword leg reads from the filter: search.vector_filter (sql/04_filters.sql) drops the same
# keys for the other legs.
KEYWORD_ONLY_FILTERS = ("synonyms", "pinyin")


def leg_params(mode: Mode, params: dict[str, Any]) -> dict[str, Any]:
    """The semantic mode's call gets the filter without the keyword leg's parts, as /search sends it."""
    filters = params.get("filters")
    if mode is not Mode.semantic or filters is None:
        return params
    rest = {k: v for k, v in filters.obj.items() if k not in KEYWORD_ONLY_FILTERS}
    return {**params, "filters": Jsonb(rest) if rest else None}
