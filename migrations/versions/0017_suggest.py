"""Suggestions while typing: search.suggest_readings, suggest_terms and suggest_prefixes, rebuilt by
search.refresh_suggestions from titles and popular queries (search.suggest_candidates), read by
search.suggest; search.facets in one pass, counting a curation's pinned documents
(migrations/versions/sql/0017_search.sql).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(op.get_bind(), sql_file("0017_search.sql"))


def downgrade() -> None:
    execute_script(op.get_bind(), sql_file("0017_search_downgrade.sql"))
