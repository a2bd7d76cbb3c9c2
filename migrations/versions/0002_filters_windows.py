"""Filters on both legs, fixed fusion windows, iterative/exact semantic search, min-max fusion, title weight,
passages for long documents.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

OLD_SIGNATURES = """
DROP FUNCTION IF EXISTS search.hybrid(text[], vector, integer, integer, integer, double precision,
    double precision, integer, double precision, double precision);
DROP FUNCTION IF EXISTS search.keyword(text[], integer, integer, double precision, double precision);
DROP FUNCTION IF EXISTS search.semantic(vector, integer, integer, text[]);
DROP FUNCTION IF EXISTS search.keyword_ranks(text[], integer, double precision, double precision);
DROP FUNCTION IF EXISTS search.semantic_ranks(vector, integer);
"""

NEW_SIGNATURES = """
DROP FUNCTION IF EXISTS search.hybrid(text[], vector, integer, integer, integer, double precision,
    double precision, integer, double precision, double precision, jsonb, integer, text, double precision,
    integer, integer, double precision);
DROP FUNCTION IF EXISTS search.keyword(text[], integer, integer, double precision, double precision, jsonb,
    integer, double precision);
DROP FUNCTION IF EXISTS search.semantic(vector, integer, integer, text[], jsonb, integer, integer, integer);
DROP FUNCTION IF EXISTS search.keyword_ranks(text[], integer, double precision, double precision, jsonb,
    double precision);
DROP FUNCTION IF EXISTS search.semantic_ranks(vector, integer, jsonb, integer, integer);
DROP FUNCTION IF EXISTS search.filter_contains(jsonb);
DROP FUNCTION IF EXISTS search.conditions_hold(jsonb, jsonb);
DROP FUNCTION IF EXISTS search.condition_holds(jsonb, jsonb);
DROP FUNCTION IF EXISTS search.as_timestamptz(text);
DROP FUNCTION IF EXISTS search.snippet(text, text[], integer);
DROP FUNCTION IF EXISTS search.type_vectors(integer);
ALTER TYPE search.hit DROP ATTRIBUTE passage_start;
DROP INDEX IF EXISTS public.documents_metadata_gin;
"""


COLUMNS = """
ALTER TABLE public.documents ADD COLUMN title_len integer NOT NULL DEFAULT 0 CHECK (title_len >= 0);
COMMENT ON COLUMN public.documents.title_len IS 'number of title tokens (first in the token stream)';
ALTER TABLE search.postings ADD COLUMN tf_title integer NOT NULL DEFAULT 0;
ALTER TABLE search.postings ADD COLUMN tl integer NOT NULL DEFAULT 0;
ALTER TABLE search.corpus_stats ADD COLUMN total_title_len bigint NOT NULL DEFAULT 0;

-- Long documents are embedded as overlapping passages; the semantic leg searches these.
CREATE TABLE search.passages (
    doc_id     bigint NOT NULL REFERENCES public.documents (id) ON DELETE CASCADE,
    passage_no integer NOT NULL,
    start_char integer NOT NULL,
    end_char   integer NOT NULL,
    embedding  vector NOT NULL,
    PRIMARY KEY (doc_id, passage_no)
);
ALTER TYPE search.hit ADD ATTRIBUTE passage_start integer;
DROP INDEX IF EXISTS public.documents_embedding_hnsw;
"""

# A database whose model was registered under 0001: one passage per document, from its vector.
BACKFILL = """
SELECT search.type_vectors(dim) FROM search.embedding_model;
INSERT INTO search.passages (doc_id, passage_no, start_char, end_char, embedding)
SELECT id, 0, 0, length(body), embedding FROM public.documents WHERE embedding IS NOT NULL;
"""

DROP_COLUMNS = """
DROP TABLE search.passages;
ALTER TABLE search.corpus_stats DROP COLUMN total_title_len;
ALTER TABLE search.postings DROP COLUMN tl;
ALTER TABLE search.postings DROP COLUMN tf_title;
ALTER TABLE public.documents DROP COLUMN title_len;
"""


def upgrade() -> None:
    conn = op.get_bind()
    # Rows written before this revision keep title counts of 0: re-ingest them for the title weight.
    execute_script(conn, OLD_SIGNATURES)
    execute_script(conn, COLUMNS)
    execute_script(conn, sql_file("0002_search.sql"))
    execute_script(conn, BACKFILL)
    execute_script(
        conn, "CREATE INDEX documents_metadata_gin ON public.documents USING gin (metadata jsonb_path_ops);"
    )


def downgrade() -> None:
    conn = op.get_bind()
    execute_script(conn, NEW_SIGNATURES)
    execute_script(conn, sql_file("0001_search.sql"))
    execute_script(conn, DROP_COLUMNS)
    execute_script(
        conn,
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM search.embedding_model) THEN "
        "CREATE INDEX IF NOT EXISTS documents_embedding_hnsw ON public.documents "
        "USING hnsw (embedding vector_cosine_ops); END IF; END $$;",
    )
