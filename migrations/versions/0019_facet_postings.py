"""Facet counts read the postings index alone: search.postings.grp, each document's metadata group
(search.metadata_groups, kept by search.metadata_groups_of and the documents_regroup trigger), in the
impact index too; capped counts from a uniform sample (search.sample_key, documents_sample), scaled;
search.facets takes sample_docs (migrations/versions/sql/0019_search.sql).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(op.get_bind(), sql_file("0019_search.sql"))


def downgrade() -> None:
    execute_script(op.get_bind(), sql_file("0019_search_downgrade.sql"))
