"""search.keyword_ranks raises theta before it keeps its candidates: with two or more lists read whole,
the best candidates by partial score are scored in full (migrations/versions/sql/0028_search.sql). Same
results; long queries look up fewer candidates.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(op.get_bind(), sql_file("0028_search.sql"))


def downgrade() -> None:
    execute_script(op.get_bind(), sql_file("0028_search_downgrade.sql"))
