"""The schema's current state moves to sql/ (one file per concern, checked against `upgrade head` by
tests/migrations); revisions install frozen copies from migrations/versions/sql/. This one drops
search.terms_tsquery (unused since 0002), stops the keyword leg setting the
search.keyword_essential_terms diagnostic, and names search.fused's columns in full
(migrations/versions/sql/0010_search.sql).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(op.get_bind(), sql_file("0010_search.sql"))


def downgrade() -> None:
    execute_script(op.get_bind(), sql_file("0010_search_downgrade.sql"))
