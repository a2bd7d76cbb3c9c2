"""The learned sparse leg: bge-m3 lexical weights per document as a pgvector sparsevec, searched alone or
fused as a third hybrid leg.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OLD_SIGNATURES = """
DROP FUNCTION IF EXISTS search.register_model(text, integer);
DROP FUNCTION IF EXISTS search.hybrid(text[], vector, integer, integer, integer, double precision,
    double precision, integer, double precision, double precision, jsonb, integer, text, double precision,
    integer, integer, double precision);
"""

NEW_SIGNATURES = """
DROP FUNCTION IF EXISTS search.register_model(text, integer, integer);
DROP FUNCTION IF EXISTS search.hybrid(text[], vector, integer, integer, integer, double precision,
    double precision, integer, double precision, double precision, jsonb, integer, text, double precision,
    integer, integer, double precision, sparsevec, double precision, integer);
DROP FUNCTION IF EXISTS search.fused(text[], vector, sparsevec, integer, integer, double precision,
    double precision, double precision, double precision, double precision, jsonb, integer, text,
    double precision, integer, double precision);
DROP FUNCTION IF EXISTS search.sparse(sparsevec, integer, integer, text[], jsonb, integer, integer, integer);
DROP FUNCTION IF EXISTS search.sparse_ranks(sparsevec, integer, jsonb, integer, integer);
DROP FUNCTION IF EXISTS search.type_sparse(integer);
DROP FUNCTION IF EXISTS search.exact_search_pays(jsonb, integer);
DROP FUNCTION IF EXISTS search.keyword_ranks(text[], integer, double precision, double precision, jsonb,
    double precision);
DROP FUNCTION IF EXISTS search.bm25_term(double precision, integer, integer, integer, integer,
    double precision, double precision, double precision, double precision);
"""

COLUMNS = """
ALTER TABLE public.documents ADD COLUMN sparse sparsevec;
COMMENT ON COLUMN public.documents.sparse IS
    'learned lexical weights (bge-m3 sparse head) of the document''s heaviest terms, by vocabulary id';
ALTER TABLE search.embedding_model ADD COLUMN sparse_dim integer;
COMMENT ON COLUMN search.embedding_model.sparse_dim IS
    'vocabulary size of the model''s lexical weights (NULL: none are stored)';
ALTER TYPE search.hit ADD ATTRIBUTE sparse_rank integer;
ALTER TYPE search.hit ADD ATTRIBUTE sparse_score double precision;
"""

DROP_COLUMNS = """
ALTER TYPE search.hit DROP ATTRIBUTE sparse_score;
ALTER TYPE search.hit DROP ATTRIBUTE sparse_rank;
ALTER TABLE search.embedding_model DROP COLUMN sparse_dim;
DROP INDEX IF EXISTS public.documents_sparse_hnsw;
ALTER TABLE public.documents DROP COLUMN sparse;
"""


def upgrade() -> None:
    conn = op.get_bind()
    # Documents stored before this revision have no lexical weights: the next ingest of them adds them.
    execute_script(conn, OLD_SIGNATURES)
    execute_script(conn, COLUMNS)
    execute_script(conn, sql_file("0003_search.sql"))


def downgrade() -> None:
    conn = op.get_bind()
    execute_script(conn, NEW_SIGNATURES)
    execute_script(conn, DROP_COLUMNS)
    execute_script(conn, sql_file("0002_search.sql"))
