"""public.documents keeps a vector inline when its row fits two to a page (toast_tuple_target 4080; a
halfvec(1024) document went to TOAST, a TOAST insert and its index entry for every document written).
Instant: rows stored before are left where they are (migrations/versions/sql/0030_search.sql).

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(op.get_bind(), sql_file("0030_search.sql"))


def downgrade() -> None:
    execute_script(op.get_bind(), sql_file("0030_search_downgrade.sql"))
