"""search.keyword_ranks drops a candidate before looking up a term when even that term's most, with
what the later terms could add, could not lift it to theta: the same top k, fewer index probes;
search.legs_complete(), the vector legs' completeness flag, which a search reads in its own statement
(migrations/versions/sql/0020_search.sql).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(op.get_bind(), sql_file("0020_search.sql"))


def downgrade() -> None:
    execute_script(op.get_bind(), sql_file("0020_search_downgrade.sql"))
