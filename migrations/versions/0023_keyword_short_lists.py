"""search.keyword_ranks: one statement scoring every posting when the query's terms hold at most
2,000 + 25 * k postings; one long list beside short ones (a single word; a rare word and a common one)
read as the short lists and the long list's best postings per tf group; the shortest lists read whole
first; hopeless candidates dropped where they are read (migrations/versions/sql/0023_search.sql).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(op.get_bind(), sql_file("0023_search.sql"))


def downgrade() -> None:
    execute_script(op.get_bind(), sql_file("0023_search_downgrade.sql"))
