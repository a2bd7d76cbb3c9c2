"""Switching embedding models without downtime: search.reembed_target and the functions
`hybrid-search reembed` calls (begin, index, swap, abort), and search.check_model, which the search
statements call so a service holding the old model notices a switch (sql/0008_search.sql).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

DOWNGRADE = """
SELECT search.reembed_abort();  -- a switch in progress is given up; the live vectors stay
DROP FUNCTION search.reembed_swap();
DROP FUNCTION search.reembed_abort();
DROP FUNCTION search.reembed_index();
DROP FUNCTION search.reembed_begin(text, integer, integer);
DROP FUNCTION search.check_model(text);
DROP FUNCTION search.switch_lock_key();
DROP TABLE search.reembed_target;
"""


def upgrade() -> None:
    execute_script(op.get_bind(), sql_file("0008_search.sql"))


def downgrade() -> None:
    execute_script(op.get_bind(), DOWNGRADE)
