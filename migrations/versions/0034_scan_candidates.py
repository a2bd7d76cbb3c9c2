"""search.keyword_ranks_scan (filters, synonyms, other title weights) takes its candidates from
search.scan_candidates, the filter a semi-join planned for it; and its theta carries 1e-9 of slack
(migrations/versions/sql/0034_search.sql). A phrase or an excluded word no longer hashes every document
first; a document tied with the last of the top k is no longer dropped for rounding in the last bits.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(op.get_bind(), sql_file("0034_search.sql"))


def downgrade() -> None:
    execute_script(op.get_bind(), sql_file("0034_search_downgrade.sql"))
