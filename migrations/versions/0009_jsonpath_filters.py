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
DROP FUNCTION search.conditions_hold(jsonb, jsonb);
ALTER FUNCTION search.conditions_hold_rowwise(jsonb, jsonb) RENAME TO conditions_hold;
COMMENT ON FUNCTION search.conditions_hold(jsonb, jsonb) IS NULL;
"""


def upgrade() -> None:
    execute_script(op.get_bind(), sql_file("0009_search.sql"))


def downgrade() -> None:
    execute_script(op.get_bind(), DOWNGRADE)
