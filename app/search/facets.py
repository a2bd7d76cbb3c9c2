"""Facet counts and totals: which fields, under which filters, read back from search.facets
(sql/14_facets.sql). Counts are disjunctive: each field is counted under the request's filters without
its own, so choosing brand A still shows brand B's count."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from app.errors import InvalidQuery
from app.search.filters import field_path, normalize_filters
from app.search.request import Mode, SearchRequest

MAX_FACETS = 10
MAX_BOUNDS = 50
QUERY_PARTS = ("text", "pinyin")  # what the query itself adds to a filter (syntax, pinyin)


@dataclass(frozen=True)
class FacetPlan:
    """The fields to count, their bucket bounds, and the filters: `base` (without any faceted field's
    condition: the candidates), and each field's own (without that field's condition)."""

    fields: list[str]
    ranges: dict[str, list[float | int]]
    base: dict[str, Any] | None
    per_field: dict[str, dict[str, Any]]


def facet_plan(req: SearchRequest, query_filter: dict[str, Any] | None) -> FacetPlan | None:
    """What a request's `total`, `facets` and `facet_ranges` ask for (None: nothing), checked; the
    service and `sql-params` both start here."""
    fields = facet_fields(req.facets)
    ranges = checked_ranges(req.facet_ranges, fields)
    if not fields and not req.total:
        return None
    if req.mode is Mode.sparse:
        raise InvalidQuery("total and facets are counted in keyword, semantic and hybrid mode")
    return plan(fields, ranges, req.filters, query_filter)


def facet_fields(spec: str | None) -> list[str]:
    """`brand, type` -> ["brand", "type"]: valid dotted paths, each once, at most MAX_FACETS."""
    fields = list(dict.fromkeys(f.strip() for f in (spec or "").split(",") if f.strip()))
    if len(fields) > MAX_FACETS:
        raise InvalidQuery(f"at most {MAX_FACETS} facets")
    for field in fields:
        field_path(field)
    return fields


def checked_ranges(ranges: dict[str, list[float]] | None, fields: list[str]) -> dict[str, list[float | int]]:
    """Bucket bounds: for fields in `facets`, 1 to MAX_BOUNDS finite numbers, strictly ascending."""
    for field, bounds in (ranges or {}).items():
        if field not in fields:
            raise InvalidQuery(f"facet_ranges names {field!r}, which is not in facets")
        if not 1 <= len(bounds) <= MAX_BOUNDS or not all(math.isfinite(b) for b in bounds):
            raise InvalidQuery(f"facet_ranges {field!r}: 1 to {MAX_BOUNDS} finite numbers")
        if any(a >= b for a, b in zip(bounds, bounds[1:], strict=False)):
            raise InvalidQuery(f"facet_ranges {field!r}: bounds must ascend")
    return {
        f: [int(b) if float(b).is_integer() else b for b in bounds] for f, bounds in (ranges or {}).items()
    }


def plan(
    fields: list[str],
    ranges: dict[str, list[float | int]],
    request_filters: dict[str, Any] | None,
    query_filter: dict[str, Any] | None,
) -> FacetPlan:
    """The filters each count runs under: the request's metadata filters without the faceted fields'
    (base) or without one field's, each with the query's own parts (phrases, exclusions, pinyin)."""
    own = {k: v for k, v in (query_filter or {}).items() if k in QUERY_PARTS}

    def without(keys: set[str]) -> dict[str, Any] | None:
        rest = normalize_filters({k: v for k, v in (request_filters or {}).items() if k not in keys})
        return {**(rest or {}), **own} or None

    per_field = {f: filt for f in fields if (filt := without({f})) is not None}
    return FacetPlan(fields, ranges, without(set(fields)), per_field)


def read_rows(rows: list[dict[str, Any]]) -> tuple[int, dict[str, list[dict[str, Any]]], bool]:
    """search.facets' rows -> (total, {field: [{value, count}]}, capped)."""
    total, capped = 0, False
    facets: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        capped = capped or bool(row["capped"])
        if row["field"] is None:
            total = int(row["count"])
        else:
            facets.setdefault(row["field"], []).append({"value": row["value"], "count": int(row["count"])})
    return total, facets, capped
