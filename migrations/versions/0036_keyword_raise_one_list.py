"""search.keyword_ranks raises theta from its best candidates, scored in full, also when only one list is
read whole (its best 200 by partial score, or 2 * max_rank): two common words no longer look the second
up for every document of the first (migrations/versions/sql/0036_search.sql). Same results.

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(op.get_bind(), sql_file("0036_search.sql"))


def downgrade() -> None:
    # search.keyword_ranks as 0031 installed (0032-0035 left it as it was): that revision's own frozen script
    execute_script(op.get_bind(), sql_file("0031_search.sql"))
