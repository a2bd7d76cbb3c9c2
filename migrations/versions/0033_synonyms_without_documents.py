"""search.keyword_ranks_scan with a filter that only carries synonyms looks no document up
(migrations/versions/sql/0033_search.sql). Same results; a keyword search with synonyms no longer
reads the whole documents table.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(op.get_bind(), sql_file("0033_search.sql"))


def downgrade() -> None:
    execute_script(op.get_bind(), sql_file("0033_search_downgrade.sql"))
