"""Metadata filters: the request's form, validated and turned into the jsonb the SQL functions take.

Request form (keys are metadata fields, dotted for nested ones):
    {"brand": "Velorim"}                          equality (served by the GIN index on metadata)
    {"type": {"any": ["Kids bikes", "Road"]}}     any of
    {"price": {"gte": 100, "lt": 500}}            numeric range
    {"released": {"gte": "2024-01-01"}}           date range (ISO-8601 strings)
    {"url": {"exists": true}}                     field present and not null
Normalised form: {"contains": {...}, "conditions": [{"path": [...], "op": ..., ...}]}. Values only ever
travel as jsonb parameters: no SQL is built from them.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

from app.errors import InvalidQuery

MAX_CONDITIONS = 32
MAX_PATH_DEPTH = 8
MAX_KEY_CHARS = 200
MAX_ANY_VALUES = 1000
RANGE_OPS = ("gte", "gt", "lte", "lt")


def parse_filters_json(raw: str | None, what: str = "filters") -> dict[str, Any] | None:
    """Filters given as JSON text (a query parameter, a CLI option): an object, or None when absent."""
    if raw is None or not raw.strip():
        return None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidQuery(f"{what} is not valid JSON: {exc.msg}") from exc
    if not isinstance(value, dict):
        raise InvalidQuery(f"{what} must be a JSON object of field: condition")
    return value


def field_path(key: str) -> list[str]:
    """A field name as its dotted path (`specs.material` -> ["specs", "material"]), refused when empty,
    too long or too deep: filters and facets name fields alike."""
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_CHARS:
        raise InvalidQuery(f"filter field names must be 1 to {MAX_KEY_CHARS} characters")
    parts = key.split(".")
    if len(parts) > MAX_PATH_DEPTH or any(not p for p in parts):
        raise InvalidQuery(
            f"filter field {key!r} is not a valid dotted path (at most {MAX_PATH_DEPTH} levels)"
        )
    return parts


def _is_scalar(v: Any) -> bool:
    if isinstance(v, float) and not math.isfinite(v):
        return False
    return v is None or isinstance(v, str | int | float | bool)


def _is_date(v: Any) -> bool:
    if not isinstance(v, str) or len(v) < 10:
        return False
    try:
        dt.datetime.fromisoformat(v)
    except ValueError:
        return False
    return True


def _range(key: str, spec: dict[str, Any]) -> dict[str, Any]:
    bounds = {op: spec[op] for op in RANGE_OPS if op in spec}
    if not bounds or len(bounds) != len(spec):
        raise InvalidQuery(f"filter {key!r}: a range takes only gte, gt, lte, lt")
    values = list(bounds.values())
    if all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in values):
        return {"op": "range", **bounds}
    if all(_is_date(v) for v in values):
        return {"op": "range", "type": "date", **bounds}
    raise InvalidQuery(
        f"filter {key!r}: range bounds must all be numbers or all ISO-8601 dates (YYYY-MM-DD...)"
    )


def _set_nested(target: dict[str, Any], path: list[str], value: Any, key: str) -> None:
    node = target
    for part in path[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise InvalidQuery(f"filter {key!r} conflicts with an equality on its parent field")
        node = child
    if path[-1] in node:
        raise InvalidQuery(f"filter {key!r} conflicts with another filter on the same field")
    node[path[-1]] = value


def normalize_filters(filters: dict[str, Any] | None) -> dict[str, Any] | None:
    """Validate a request's filters and return the jsonb form for SQL (None when there are none)."""
    if not filters:
        return None
    if not isinstance(filters, dict):
        raise InvalidQuery("filters must be an object of field: condition")
    if len(filters) > MAX_CONDITIONS:
        raise InvalidQuery(f"at most {MAX_CONDITIONS} filters")
    contains: dict[str, Any] = {}
    conditions: list[dict[str, Any]] = []
    for key, spec in filters.items():
        path = field_path(key)
        if _is_scalar(spec):
            _set_nested(contains, path, spec, key)
        elif isinstance(spec, dict) and "any" in spec:
            values = spec["any"]
            if len(spec) != 1 or not isinstance(values, list) or not values or len(values) > MAX_ANY_VALUES:
                raise InvalidQuery(f"filter {key!r}: 'any' takes a list of 1 to {MAX_ANY_VALUES} values")
            if not all(_is_scalar(v) for v in values):
                raise InvalidQuery(f"filter {key!r}: 'any' values must be strings, numbers, booleans or null")
            conditions.append({"path": path, "op": "in", "values": values})
        elif isinstance(spec, dict) and "exists" in spec:
            if spec != {"exists": True}:
                raise InvalidQuery(f"filter {key!r}: only {{'exists': true}} is supported")
            conditions.append({"path": path, "op": "exists"})
        elif isinstance(spec, dict):
            conditions.append({"path": path, **_range(key, spec)})
        else:
            raise InvalidQuery(f"filter {key!r}: expected a value, or an object with any, exists or a range")
    out: dict[str, Any] = {}
    if contains:
        out["contains"] = contains
    if conditions:
        out["conditions"] = conditions
        compiled = compile_conditions(conditions)
        if compiled is not None:
            out["jsonpath"], out["vars"], exact = compiled
            if not exact:
                out["rowwise"] = True  # the jsonpath only sifts; the row-by-row check decides
    return out


_COMPARISONS = (("gte", ">="), ("gt", ">"), ("lte", "<="), ("lt", "<"))


def _value_at(i: int, path: list[str], variables: dict[str, Any]) -> str:
    """jsonpath to the value at `path`, object members only (as jsonb_extract_path on objects); the
    field names travel as variables, never in the path's text."""
    steps = []
    for j, part in enumerate(path):
        variables[f"c{i}p{j}"] = part
        steps.append(f".keyvalue() ? (@.key == $c{i}p{j}).value")
    return "$" + "".join(steps)


def _may_index_an_array(part: str) -> bool:
    """Could PostgreSQL read this path part as an array index (strtol: spaces, a sign, digits)?"""
    return part.strip().lstrip("+-").isdigit()


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return "number" if isinstance(value, int | float) else "string"


def _one_of(i: int, values: list[Any], variables: dict[str, Any]) -> str:
    """A predicate on @: it equals one of `values` (compared within its own JSON type only: in strict
    mode comparing a string with a number is an error, which would spoil the whole comparison)."""
    alternatives = []
    for name in ("string", "number", "boolean"):
        typed = [v for v in values if _json_type(v) == name]
        if typed:
            variables[f"c{i}{name}"] = typed
            alternatives.append(f'(@.type() == "{name}" && @ == $c{i}{name}[*])')
    if any(v is None for v in values):
        alternatives.append("@ == null")
    return " || ".join(alternatives)


def compile_conditions(conditions: list[dict[str, Any]]) -> tuple[str, dict[str, Any], bool] | None:
    """The conditions as one strict jsonpath predicate, its variables, and whether it is exact.

    Exact, it means what search.conditions_hold_rowwise means (sql/04_filters.sql): `exists` a value
    that is not null; `in` the value, or an element of an array value, equal to one of the values; a
    numeric `range` on a number. A date range (the SQL parses dates its own way) compiles to "a string
    is there": a necessary condition, so the row-by-row check still decides, but only for documents
    that pass it (not exact). None for path parts that may be numbers, which index arrays in SQL."""
    parts: list[str] = []
    variables: dict[str, Any] = {}
    exact = True
    for i, c in enumerate(conditions):
        if any(_may_index_an_array(p) for p in c["path"]):
            return None
        at = _value_at(i, c["path"], variables)
        if c["op"] == "exists":
            parts.append(f"exists({at} ? (@ != null))")
        elif c["op"] == "range" and c.get("type") == "date":
            parts.append(f'exists({at} ? (@.type() == "string"))')
            exact = False
        elif c["op"] == "range":
            tests = ['@.type() == "number"']
            for op, symbol in _COMPARISONS:
                if op in c:
                    variables[f"c{i}{op}"] = c[op]
                    tests.append(f"@ {symbol} $c{i}{op}")
            parts.append(f"exists({at} ? ({' && '.join(tests)}))")
        elif c["op"] == "in":
            one_of = _one_of(i, c["values"], variables)
            scalar = f'exists({at} ? (@.type() != "array" && ({one_of})))'
            element = f'exists({at} ? (@.type() == "array")[*] ? ({one_of}))'
            parts.append(f"({scalar} || {element})")
        else:
            return None
    return "strict " + " && ".join(parts), variables, exact
