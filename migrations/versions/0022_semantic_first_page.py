"""search.semantic_ranks returns the first page's passages as the index reads them: one statement, no
arrays, and no passage read beyond the page when its documents have one passage each (the usual case);
otherwise the page is completed from a longer read, then from the stream
(migrations/versions/sql/0022_search.sql).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(op.get_bind(), sql_file("0022_search.sql"))


def downgrade() -> None:
    execute_script(op.get_bind(), sql_file("0022_search_downgrade.sql"))
