"""The BM25 statistics folded at commit: statement triggers write their changes to
search.stats_pending, and a deferred constraint trigger (search.fold_statistics) adds them to
search.corpus_stats and search.term_stats when the transaction commits, so concurrent writers do not
hold the statistics' rows for their whole write (migrations/versions/sql/0024_search.sql).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(op.get_bind(), sql_file("0024_search.sql"))


def downgrade() -> None:
    execute_script(op.get_bind(), sql_file("0024_search_downgrade.sql"))
