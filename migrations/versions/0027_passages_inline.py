"""search.passages keeps a vector inline when its row fits two to a page (toast_tuple_target 4080; a
halfvec(1024) row went to TOAST before, read back through the TOAST index for every ranked passage), its
stored rows rewritten once (migrations/versions/sql/0027_search.sql); a reembed's next table the same.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(op.get_bind(), sql_file("0027_search.sql"))


def downgrade() -> None:
    execute_script(op.get_bind(), sql_file("0027_search_downgrade.sql"))
