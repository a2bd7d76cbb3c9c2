"""The postings' primary key carries tf, tf_title, dl and tl (INCLUDE): search.keyword_ranks' lookups of
a document's posting of a term are index-only (migrations/versions/sql/0035_search.sql). The key is
rebuilt once; long keyword queries on the bench database: mean -4 to -10%, p99 -10 to -20%.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(op.get_bind(), sql_file("0035_search.sql"))


def downgrade() -> None:
    execute_script(op.get_bind(), sql_file("0035_search_downgrade.sql"))
