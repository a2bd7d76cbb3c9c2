"""search.facets groups the matched documents by their whole metadata before reading each field and
filter, and reads the keyword part up to max_docs without numbering it: about twice as fast on a
capped query. Answer versions for the service's answer cache: search.corpus_stats.generation, counted
by every write to documents, synonyms, curations and the embedding model, and
search.answers_version(). Bulk loads: search.deferred_indexes, search.defer_indexes() and
search.restore_indexes() (migrations/versions/sql/0018_search.sql).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(op.get_bind(), sql_file("0018_search.sql"))


def downgrade() -> None:
    execute_script(op.get_bind(), sql_file("0018_search_downgrade.sql"))
