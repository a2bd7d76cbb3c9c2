"""Synonyms applied at query time: search.synonyms (equivalence groups and one-way rules, as the
analyzer's terms), search.synonym_groups (a query's terms with their forms), and the keyword leg
scoring a term's forms as one term, as Lucene's SynonymQuery; search.fused keeps the synonyms from the
vector legs' filter (migrations/versions/sql/0012_search.sql).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(op.get_bind(), sql_file("0012_search.sql"))


def downgrade() -> None:
    execute_script(op.get_bind(), sql_file("0012_search_downgrade.sql"))
