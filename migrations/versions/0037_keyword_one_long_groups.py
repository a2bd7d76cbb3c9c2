"""search.keyword_ranks reads only the long list's tf groups when one long list beside short ones takes
0023's path (known before step 1): the short lists are read whole there anyway
(migrations/versions/sql/0037_search.sql). Same results; the bench's mixed queries p50 0.53 -> 0.46 ms.

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(op.get_bind(), sql_file("0037_search.sql"))


def downgrade() -> None:
    # search.keyword_ranks as 0036 installed: that revision's own frozen script
    execute_script(op.get_bind(), sql_file("0036_search.sql"))
