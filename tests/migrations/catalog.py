"""A database's schema as comparable data: every function's definition, every table's columns,
constraints, indexes and storage options, views, triggers, comments and privileges in the `public` and
`search` schemas (pgvector's own objects and alembic's bookkeeping left out). A privilege list never
set reads as the default it stands for, so a GRANT then REVOKE compares equal to nothing granted."""

from __future__ import annotations

from typing import Any

import psycopg

NOT_EXTENSION = "NOT EXISTS (SELECT FROM pg_depend AS e WHERE e.objid = {oid} AND e.deptype = 'e')"
OURS = "n.nspname IN ('public', 'search')"

FUNCTIONS = f"""
SELECT p.oid::regprocedure::text, pg_get_functiondef(p.oid), obj_description(p.oid, 'pg_proc'),
       array(SELECT x::text FROM unnest(coalesce(p.proacl, acldefault('f'::"char", p.proowner))) AS x
             ORDER BY 1)
FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
WHERE {OURS} AND {NOT_EXTENSION.format(oid="p.oid")}
"""

RELATIONS = f"""
SELECT c.oid, c.oid::regclass::text, c.relkind, obj_description(c.oid, 'pg_class'),
       array(SELECT x::text FROM unnest(coalesce(c.relacl, acldefault(CASE c.relkind WHEN 'S' THEN 's'
             ELSE 'r' END::"char", c.relowner))) AS x ORDER BY 1),
       CASE WHEN c.relkind = 'v' THEN pg_get_viewdef(c.oid) END,
       CASE WHEN c.relkind = 'i' THEN pg_get_indexdef(c.oid) END, c.reloptions
FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE {OURS} AND c.relkind IN ('r', 'v', 'i', 'S', 'c', 'm', 'p')
  AND c.relname NOT IN ('alembic_version', 'alembic_version_pkc')
  AND {NOT_EXTENSION.format(oid="c.oid")}
"""

COLUMNS = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid),
       a.attidentity, col_description(a.attrelid, a.attnum),
       array(SELECT x::text FROM unnest(a.attacl) AS x ORDER BY 1)
FROM pg_attribute AS a LEFT JOIN pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""

CONSTRAINTS = """
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s ORDER BY conname
"""

TRIGGERS = f"""
SELECT t.tgname, pg_get_triggerdef(t.oid)
FROM pg_trigger AS t JOIN pg_class AS c ON c.oid = t.tgrelid JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE {OURS} AND NOT t.tgisinternal
"""

SCHEMAS = """
SELECT n.nspname,
       array(SELECT x::text FROM unnest(coalesce(n.nspacl, acldefault('n'::"char", n.nspowner))) AS x
             ORDER BY 1),
       obj_description(n.oid)
FROM pg_namespace AS n WHERE n.nspname IN ('public', 'search')
"""

DEFAULT_ACLS = """
SELECT d.defaclnamespace::regnamespace::text, d.defaclobjtype,
       array(SELECT x::text FROM unnest(d.defaclacl) AS x ORDER BY 1)
FROM pg_default_acl AS d ORDER BY 1, 2
"""


def snapshot(conn: psycopg.Connection[Any]) -> dict[str, Any]:
    """Everything a migration or a sql/ file defines, keyed by object, for comparison with ==."""
    out: dict[str, Any] = {}
    for sig, definition, comment, acl in conn.execute(FUNCTIONS).fetchall():
        out[f"function {sig}"] = (definition, comment, acl)
    for oid, name, kind, comment, acl, view, index, options in conn.execute(RELATIONS).fetchall():
        columns = conn.execute(COLUMNS, [oid]).fetchall() if kind in ("r", "v", "c", "m", "p") else []
        constraints = conn.execute(CONSTRAINTS, [oid]).fetchall() if kind in ("r", "p") else []
        out[f"relation {name}"] = {
            "kind": kind,
            "comment": comment,
            "acl": acl,
            "view": view,
            "index": index,
            "options": options,
            "columns": columns,
            "constraints": constraints,
        }
    for name, definition in conn.execute(TRIGGERS).fetchall():
        out[f"trigger {name}"] = definition
    for name, acl, comment in conn.execute(SCHEMAS).fetchall():
        out[f"schema {name}"] = (acl, comment)
    out["default privileges"] = conn.execute(DEFAULT_ACLS).fetchall()
    out["extensions"] = conn.execute("SELECT extname FROM pg_extension ORDER BY 1").fetchall()
    return out


def differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Readable differences: keys only on one side, then keys whose values differ."""
    lines = [f"only in the first: {k}" for k in sorted(a.keys() - b.keys())]
    lines += [f"only in the second: {k}" for k in sorted(b.keys() - a.keys())]
    lines += [f"differs: {k}\n  {a[k]!r}\n  {b[k]!r}" for k in sorted(a.keys() & b.keys()) if a[k] != b[k]]
    return lines
