"""Curations: search.curations (pinned and hidden document ids per query key, an optional time
window), search.curation (the one in force for a query) and search.curate (a search's ids in curated
order) (migrations/versions/sql/0015_search.sql).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(op.get_bind(), sql_file("0015_search.sql"))


def downgrade() -> None:
    execute_script(op.get_bind(), sql_file("0015_search_downgrade.sql"))
