"""Metadata filters on both legs, fixed fusion windows, iterative/exact semantic search, min-max fusion.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

OLD_SIGNATURES = """
DROP FUNCTION IF EXISTS search.hybrid(text[], vector, integer, integer, integer, double precision,
    double precision, integer, double precision, double precision);
DROP FUNCTION IF EXISTS search.keyword(text[], integer, integer, double precision, double precision);
DROP FUNCTION IF EXISTS search.semantic(vector, integer, integer, text[]);
DROP FUNCTION IF EXISTS search.keyword_ranks(text[], integer, double precision, double precision);
DROP FUNCTION IF EXISTS search.semantic_ranks(vector, integer);
"""

NEW_SIGNATURES = """
DROP FUNCTION IF EXISTS search.hybrid(text[], vector, integer, integer, integer, double precision,
    double precision, integer, double precision, double precision, jsonb, integer, text, double precision,
    integer, integer);
DROP FUNCTION IF EXISTS search.keyword(text[], integer, integer, double precision, double precision, jsonb,
    integer);
DROP FUNCTION IF EXISTS search.semantic(vector, integer, integer, text[], jsonb, integer, integer, integer);
DROP FUNCTION IF EXISTS search.keyword_ranks(text[], integer, double precision, double precision, jsonb);
DROP FUNCTION IF EXISTS search.semantic_ranks(vector, integer, jsonb, integer, integer);
DROP FUNCTION IF EXISTS search.filter_contains(jsonb);
DROP FUNCTION IF EXISTS search.conditions_hold(jsonb, jsonb);
DROP FUNCTION IF EXISTS search.condition_holds(jsonb, jsonb);
DROP FUNCTION IF EXISTS search.as_timestamptz(text);
DROP FUNCTION IF EXISTS search.snippet(text, text[], integer);
DROP INDEX IF EXISTS public.documents_metadata_gin;
"""


def upgrade() -> None:
    conn = op.get_bind()
    execute_script(conn, OLD_SIGNATURES)
    execute_script(conn, sql_file("0002_search.sql"))
    execute_script(
        conn, "CREATE INDEX documents_metadata_gin ON public.documents USING gin (metadata jsonb_path_ops);"
    )


def downgrade() -> None:
    conn = op.get_bind()
    execute_script(conn, NEW_SIGNATURES)
    execute_script(conn, sql_file("0001_search.sql"))
