"""search.keyword_ranks' step 1 groups a list as it reads it only up to 600 postings (was 2,000); a
longer list's tf groups are found by skipping through the impact index, two probes a group
(migrations/versions/sql/0039_search.sql). Same results; the bench's long queries at max_rank 10: mean
14.6 -> 14.0 ms.

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(op.get_bind(), sql_file("0039_search.sql"))


def downgrade() -> None:
    # search.keyword_ranks as 0038 installed: that revision's own frozen script
    execute_script(op.get_bind(), sql_file("0038_search.sql"))
