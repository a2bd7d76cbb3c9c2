"""Vector storage and HNSW parameters chosen at the model's first registration (VECTOR_STORAGE =
vector | halfvec, HNSW_M, HNSW_EF_CONSTRUCTION) and recorded with it. A database registered before
keeps its `vector` columns and its index (recorded as vector, m 16, ef_construction 64: pgvector's
defaults, which earlier revisions used).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UPGRADE = """
DROP FUNCTION search.register_model(text, integer, integer);
DROP FUNCTION search.type_vectors(integer);
ALTER TABLE search.embedding_model
    ADD COLUMN storage text NOT NULL DEFAULT 'vector' CHECK (storage IN ('vector', 'halfvec')),
    ADD COLUMN hnsw_m integer NOT NULL DEFAULT 16 CHECK (hnsw_m BETWEEN 2 AND 100),
    ADD COLUMN hnsw_ef_construction integer NOT NULL DEFAULT 64
        CHECK (hnsw_ef_construction BETWEEN 4 AND 1000);
COMMENT ON COLUMN search.embedding_model.storage IS
    'vector (float4) or halfvec (float2): the type of the embedding columns and of the HNSW operator class';
"""

DOWNGRADE = """
DROP FUNCTION search.register_model(text, integer, integer, text, integer, integer);
DROP FUNCTION search.type_vectors(integer, text, integer, integer);
DO $$
DECLARE
  d integer := (SELECT dim FROM search.embedding_model WHERE storage = 'halfvec');
BEGIN
  IF d IS NOT NULL THEN  -- back to float4 columns and a vector_cosine_ops index
    DROP INDEX IF EXISTS search.passages_embedding_hnsw;
    EXECUTE format('ALTER TABLE public.documents ALTER COLUMN embedding TYPE vector(%s)', d);
    EXECUTE format('ALTER TABLE search.passages ALTER COLUMN embedding TYPE vector(%s)', d);
    CREATE INDEX passages_embedding_hnsw ON search.passages USING hnsw (embedding vector_cosine_ops);
  END IF;
END
$$;
ALTER TABLE search.embedding_model DROP COLUMN storage, DROP COLUMN hnsw_m, DROP COLUMN hnsw_ef_construction;
-- 0002's type_vectors (sql/0002_search.sql), which 0003's register_model calls
CREATE FUNCTION search.type_vectors(model_dim integer)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE public.documents ALTER COLUMN embedding TYPE vector(%s)', model_dim);
  EXECUTE format('ALTER TABLE search.passages ALTER COLUMN embedding TYPE vector(%s)', model_dim);
  CREATE INDEX IF NOT EXISTS passages_embedding_hnsw
    ON search.passages USING hnsw (embedding vector_cosine_ops);
END
$$;
"""


def upgrade() -> None:
    conn = op.get_bind()
    execute_script(conn, UPGRADE)
    execute_script(conn, sql_file("0006_search.sql"))


def downgrade() -> None:
    conn = op.get_bind()
    execute_script(conn, DOWNGRADE)
    execute_script(conn, sql_file("0003_search.sql"))  # register_model
    # 0003's file also holds a keyword_ranks that 0005 replaced: put 0005's back.
    execute_script(conn, sql_file("0005_search.sql"))
