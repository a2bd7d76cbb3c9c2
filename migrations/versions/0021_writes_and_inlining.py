"""search.postings_deleted, the trigger that keeps df exact when postings go: nothing to do for a
statement that deleted none (every upsert deletes the postings of the documents it writes, new ones
too), and each term's row reached through its key instead of a scan of search.term_stats;
search.semantic and search.sparse STABLE, so that the search statements inline them
(migrations/versions/sql/0021_search.sql).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(op.get_bind(), sql_file("0021_search.sql"))


def downgrade() -> None:
    execute_script(op.get_bind(), sql_file("0021_search_downgrade.sql"))
