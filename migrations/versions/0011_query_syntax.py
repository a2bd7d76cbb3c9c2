"""The search box's query syntax reaches every leg: search.text_holds checks a filter's `text` (quoted
phrases required, words adjacent and in order; excluded words and phrases refused) against each
document's tsvector, beside the metadata conditions (migrations/versions/sql/0011_search.sql).

Documents keep working as they are; phrases match reliably once documents are re-ingested with this
version's analyzer (a word's sub-words now share its position, which changes the content hash).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(op.get_bind(), sql_file("0011_search.sql"))


def downgrade() -> None:
    execute_script(op.get_bind(), sql_file("0011_search_downgrade.sql"))
