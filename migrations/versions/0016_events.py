"""Click events: search ids and clients in the query log, search.events with search.record_events
(only clicks on a logged search's shown documents are stored), views search.click_stats and
search.unclicked_queries (migrations/versions/sql/0016_search.sql).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(op.get_bind(), sql_file("0016_search.sql"))


def downgrade() -> None:
    execute_script(op.get_bind(), sql_file("0016_search_downgrade.sql"))
