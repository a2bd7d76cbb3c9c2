"""search.keyword_ranks: theta from each term's 25 best postings at least (max_rank before), and the
candidates' statement with each tf group's constants computed once and its postings grouped by hashing
(migrations/versions/sql/0025_search.sql). Same results, long queries faster.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(op.get_bind(), sql_file("0025_search.sql"))


def downgrade() -> None:
    execute_script(op.get_bind(), sql_file("0025_search_downgrade.sql"))
