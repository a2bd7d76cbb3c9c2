"""Pinyin: documents' `pinyin` tsvector (syllables and initials pairs of the PINYIN_FIELDS) and
its syllable count, under GIN; search.pinyin_ranks and search.lexical_ranks (BM25, then the documents
only the query's pinyin finds); search.hit and search.fused carry pinyin_score; search.synonym_groups
keys runs of query terms a one-way rule starts from (苹果手机 => iphone)
(migrations/versions/sql/0013_search.sql). Documents stored before get their pinyin from
`hybrid-search db retokenize`.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(op.get_bind(), sql_file("0013_search.sql"))


def downgrade() -> None:
    execute_script(op.get_bind(), sql_file("0013_search_downgrade.sql"))
