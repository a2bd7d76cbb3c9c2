"""search.semantic_ranks with a filter (migrations/versions/sql/0032_search.sql): its exact search is
planned for the filter at hand, and the filter is tested passage by passage along the index stream
instead of as a hash of every matching document. Same results; a hybrid search with a quoted phrase or
an excluded word no longer reads the whole documents table.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(op.get_bind(), sql_file("0032_search.sql"))


def downgrade() -> None:
    execute_script(op.get_bind(), sql_file("0032_search_downgrade.sql"))
