"""search.keyword_ranks reads one B term's band, not every B term's (migrations/versions/sql/0031_search.sql):
a document holding none of the lists read whole is in every B term's band, so one band holds them all.
Same results; long queries read fewer postings.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(op.get_bind(), sql_file("0031_search.sql"))


def downgrade() -> None:
    execute_script(op.get_bind(), sql_file("0031_search_downgrade.sql"))
