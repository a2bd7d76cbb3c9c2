"""Faster writes: postings and passages lose their per-row foreign keys; a statement-level trigger on
documents deletes a deleted document's postings and passages instead (one set-based DELETE per
statement, whoever deletes: the API, ingest or an analyst's SQL), so BM25 statistics still follow.

Checking the foreign key of every posting row cost more than half of the database's ingest time
(about 30 postings per short document); the trigger costs nothing on insert.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UPGRADE = """
ALTER TABLE search.postings DROP CONSTRAINT IF EXISTS postings_doc_id_fkey;
ALTER TABLE search.passages DROP CONSTRAINT IF EXISTS passages_doc_id_fkey;

CREATE FUNCTION search.documents_cascade() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM search.postings WHERE doc_id IN (SELECT id FROM old_rows);
  DELETE FROM search.passages WHERE doc_id IN (SELECT id FROM old_rows);
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION search.documents_cascade() IS
    'deletes the postings and passages of deleted documents (instead of per-row foreign keys)';
CREATE TRIGGER documents_cascade AFTER DELETE ON public.documents
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION search.documents_cascade();
"""

DOWNGRADE = """
DROP TRIGGER documents_cascade ON public.documents;
DROP FUNCTION search.documents_cascade();
DELETE FROM search.postings AS p WHERE NOT EXISTS (SELECT 1 FROM public.documents AS d WHERE d.id = p.doc_id);
DELETE FROM search.passages AS p WHERE NOT EXISTS (SELECT 1 FROM public.documents AS d WHERE d.id = p.doc_id);
ALTER TABLE search.postings ADD CONSTRAINT postings_doc_id_fkey
    FOREIGN KEY (doc_id) REFERENCES public.documents (id) ON DELETE CASCADE;
ALTER TABLE search.passages ADD CONSTRAINT passages_doc_id_fkey
    FOREIGN KEY (doc_id) REFERENCES public.documents (id) ON DELETE CASCADE;
"""


def upgrade() -> None:
    execute_script(op.get_bind(), UPGRADE)


def downgrade() -> None:
    execute_script(op.get_bind(), DOWNGRADE)
