"""Initial schema: documents (tsvector + vector), BM25 statistics, embedding model, search functions.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SCHEMA = """
CREATE EXTENSION IF NOT EXISTS vector;
CREATE SCHEMA IF NOT EXISTS search;

CREATE TABLE public.documents (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    external_id  text NOT NULL UNIQUE,
    title        text NOT NULL DEFAULT '',
    body         text NOT NULL DEFAULT '',
    url          text,
    metadata     jsonb NOT NULL DEFAULT '{}'::jsonb,
    tsv          tsvector NOT NULL DEFAULT ''::tsvector,
    doc_len      integer NOT NULL DEFAULT 0 CHECK (doc_len >= 0),
    embedding    vector,
    content_hash text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON COLUMN public.documents.tsv IS 'jieba search-mode tokens with positions';
COMMENT ON COLUMN public.documents.doc_len IS 'BM25 document length: number of tokens';
COMMENT ON COLUMN public.documents.embedding IS 'unit dense vector; vector(dim) once a model is registered';
CREATE INDEX documents_tsv_gin ON public.documents USING gin (tsv);

-- Exact term frequencies per document (a tsvector caps positions at 256 per lexeme).
CREATE TABLE search.postings (
    term   text NOT NULL,
    doc_id bigint NOT NULL REFERENCES public.documents (id) ON DELETE CASCADE,
    tf     integer NOT NULL CHECK (tf > 0),
    dl     integer NOT NULL CHECK (dl >= 0),
    PRIMARY KEY (term, doc_id)
);
CREATE INDEX postings_doc_id ON search.postings (doc_id);

CREATE TABLE search.term_stats (
    term text PRIMARY KEY,
    df   integer NOT NULL
);

CREATE TABLE search.corpus_stats (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    n_docs    bigint NOT NULL DEFAULT 0,
    total_len bigint NOT NULL DEFAULT 0
);
INSERT INTO search.corpus_stats DEFAULT VALUES;

CREATE TABLE search.embedding_model (
    singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    name          text NOT NULL,
    dim           integer NOT NULL,
    registered_at timestamptz NOT NULL DEFAULT now()
);

CREATE TYPE search.hit AS (
    id             text,
    title          text,
    url            text,
    snippet        text,
    score          double precision,
    keyword_rank   integer,
    keyword_score  double precision,
    semantic_rank  integer,
    semantic_score double precision,
    metadata       jsonb
);
"""

TRIGGERS = """
CREATE TRIGGER documents_stats_insert AFTER INSERT ON public.documents
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search.documents_inserted();
CREATE TRIGGER documents_stats_update AFTER UPDATE ON public.documents
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION search.documents_updated();
CREATE TRIGGER documents_stats_delete AFTER DELETE ON public.documents
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION search.documents_deleted();
CREATE TRIGGER postings_stats_insert AFTER INSERT ON search.postings
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search.postings_inserted();
CREATE TRIGGER postings_stats_delete AFTER DELETE ON search.postings
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION search.postings_deleted();
"""


def upgrade() -> None:
    conn = op.get_bind()
    execute_script(conn, SCHEMA)
    execute_script(conn, sql_file("0001_search.sql"))
    execute_script(conn, TRIGGERS)


def downgrade() -> None:
    # The vector extension stays: other schemas may use it, and keeping it loses no data.
    execute_script(
        op.get_bind(), "DROP TABLE IF EXISTS public.documents CASCADE; DROP SCHEMA IF EXISTS search CASCADE;"
    )
