"""search.keyword_ranks' candidates statement aggregates which B terms each candidate was seen in only when
a B term's band is read; otherwise those two aggregates are folded away at planning
(migrations/versions/sql/0038_search.sql). Same results; the bench's long queries at max_rank 10: mean
12.6 -> 11.9 ms.

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(op.get_bind(), sql_file("0038_search.sql"))


def downgrade() -> None:
    # search.keyword_ranks as 0037 installed: that revision's own frozen script
    execute_script(op.get_bind(), sql_file("0037_search.sql"))
