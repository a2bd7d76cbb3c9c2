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


def _path(key: str) -> list[str]:
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
        path = _path(key)
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
    return out
