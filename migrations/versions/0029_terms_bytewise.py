"""Terms compare byte by byte (COLLATE "C") in search.postings and search.term_stats: their indexes are
built and searched with memcmp instead of the locale's strcoll, the same order as C.UTF-8 for UTF-8
text; equality is unchanged (migrations/versions/sql/0029_search.sql). The two tables' indexes are
rebuilt once.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(op.get_bind(), sql_file("0029_search.sql"))


def downgrade() -> None:
    execute_script(op.get_bind(), sql_file("0029_search_downgrade.sql"))
