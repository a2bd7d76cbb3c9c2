"""Totals and facet counts over the documents a query matches: search.facets (disjunctive counts, each
field without its own filter; numeric ranges; capped past a number of candidates), with search.metadata_holds
and search.range_bucket (migrations/versions/sql/0014_search.sql).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(op.get_bind(), sql_file("0014_search.sql"))


def downgrade() -> None:
    execute_script(op.get_bind(), sql_file("0014_search_downgrade.sql"))
