"""The query log (search.query_log) and the views over it (top, zero-result and slow queries), the
analysts' read-only role hybrid_search_reader, and search.similar (sql/0007_search.sql).

The role belongs to the whole PostgreSQL cluster: a downgrade revokes what it was granted here and
drops it unless another database still grants it something.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

DOWNGRADE = """
ALTER DEFAULT PRIVILEGES IN SCHEMA public, search REVOKE SELECT ON TABLES FROM hybrid_search_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA search REVOKE EXECUTE ON FUNCTIONS FROM hybrid_search_reader;
REVOKE ALL ON ALL TABLES IN SCHEMA public, search FROM hybrid_search_reader;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA search FROM hybrid_search_reader;
REVOKE ALL ON SCHEMA public, search FROM hybrid_search_reader;
DROP VIEW search.slow_queries, search.zero_result_queries, search.top_queries;
DROP FUNCTION search.query_key(text);
DROP FUNCTION search.similar(vector, integer, text, jsonb, integer, integer);
DROP TABLE search.query_log;
DO $$
BEGIN
  DROP ROLE hybrid_search_reader;
EXCEPTION WHEN dependent_objects_still_exist THEN
  RAISE NOTICE 'hybrid_search_reader kept: another database of this cluster still grants it privileges';
END
$$;
"""


def upgrade() -> None:
    execute_script(op.get_bind(), sql_file("0007_search.sql"))


def downgrade() -> None:
    execute_script(op.get_bind(), DOWNGRADE)
