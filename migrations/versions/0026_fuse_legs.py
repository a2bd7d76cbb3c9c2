"""search.fuse_legs: the hybrid fusion of legs already ranked, which search.fused calls with its legs and
the service with a hybrid search's two legs ranked side by side (migrations/versions/sql/0026_search.sql).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(op.get_bind(), sql_file("0026_search.sql"))


def downgrade() -> None:
    execute_script(op.get_bind(), sql_file("0026_search_downgrade.sql"))
