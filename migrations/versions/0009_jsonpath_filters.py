"""Filter conditions checked by one compiled jsonpath predicate instead of row by row
(sql/0009_search.sql): a range, exists or any filter that matches nothing no longer costs seconds.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

DOWNGRADE = """
CREATE OR REPLACE FUNCTION search.conditions_hold(metadata jsonb, filter jsonb)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT filter IS NULL OR NOT EXISTS (
    SELECT 1
    FROM jsonb_array_elements(coalesce(filter->'conditions', '[]'::jsonb)) AS c
    WHERE NOT search.condition_holds(
      jsonb_extract_path(metadata, VARIADIC ARRAY(SELECT jsonb_array_elements_text(c->'path'))), c)
  )
$$;
DROP FUNCTION search.conditions_hold_rowwise(jsonb, jsonb);
"""


def upgrade() -> None:
    execute_script(op.get_bind(), sql_file("0009_search.sql"))


def downgrade() -> None:
    execute_script(op.get_bind(), DOWNGRADE)
