"""The keyword leg reads posting lists in impact order: postings get an index on
(term, tf + tf_title, dl + tl) carrying every column BM25 needs (index-only reads), and
search.keyword_ranks reads common terms' lists only down to what can still reach the top k
(sql/0005_search.sql). The primary key becomes (doc_id, term): it serves the per-document lookups
(completing a candidate's score, deleting a document's postings) that the separate doc_id index did, and
grows at the end as documents are added.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

from app.db import execute_script, sql_file

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

INDEXES = """
ALTER TABLE search.postings DROP CONSTRAINT postings_pkey;
ALTER TABLE search.postings ADD CONSTRAINT postings_pkey PRIMARY KEY (doc_id, term);
DROP INDEX search.postings_doc_id;
CREATE INDEX postings_impact ON search.postings (term, (tf + tf_title), (dl + tl), doc_id)
    INCLUDE (tf, tf_title, dl, tl);
COMMENT ON INDEX search.postings_impact IS
    'impact order: within a term and a tf (title counted twice), BM25 falls as the document grows';
"""

DROP_INDEXES = """
DROP INDEX search.postings_impact;
ALTER TABLE search.postings DROP CONSTRAINT postings_pkey;
ALTER TABLE search.postings ADD CONSTRAINT postings_pkey PRIMARY KEY (term, doc_id);
CREATE INDEX postings_doc_id ON search.postings (doc_id);
"""


def upgrade() -> None:
    conn = op.get_bind()
    execute_script(conn, INDEXES)
    execute_script(conn, sql_file("0005_search.sql"))


def downgrade() -> None:
    conn = op.get_bind()
    execute_script(
        conn,
        "DROP FUNCTION search.keyword_ranks_scan(text[], integer, double precision, "
        "double precision, jsonb, double precision);",
    )
    execute_script(conn, DROP_INDEXES)
    execute_script(conn, sql_file("0003_search.sql"))
