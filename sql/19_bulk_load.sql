-- Bulk loads: an ingest into an empty database writes faster without the indexes only searches read
-- (the GIN indexes of documents, the HNSW indexes of vectors, the postings' impact order), and builds
-- them once at the end, as pg_restore does. search.defer_indexes() records each definition in
-- search.deferred_indexes before dropping it, in one transaction, so an interrupted load leaves a
-- record of what to build; search.restore_indexes() builds them from it (the service and every ingest
-- do so at start when a load is not running).

CREATE TABLE search.deferred_indexes (
    name        text PRIMARY KEY,
    definition  text NOT NULL,
    deferred_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE search.deferred_indexes IS
    'indexes a bulk load dropped and has yet to build (search.restore_indexes)';

CREATE OR REPLACE FUNCTION search.defer_indexes() RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  idx record;
BEGIN
  FOR idx IN
    SELECT i.schemaname, i.indexname, i.indexdef FROM pg_indexes AS i
    WHERE (i.schemaname, i.indexname) IN (
      ('public', 'documents_tsv_gin'), ('public', 'documents_pinyin_gin'),
      ('public', 'documents_metadata_gin'), ('public', 'documents_sparse_hnsw'),
      ('search', 'passages_embedding_hnsw'), ('search', 'postings_impact'))
    ORDER BY i.indexname
  LOOP
    INSERT INTO search.deferred_indexes (name, definition) VALUES (idx.indexname, idx.indexdef)
    ON CONFLICT (name) DO NOTHING;
    EXECUTE format('DROP INDEX %I.%I', idx.schemaname, idx.indexname);
    RETURN NEXT idx.indexname;
  END LOOP;
END
$$;

-- Build the deferred indexes (`index_name`: that one), each forgotten once built.
CREATE OR REPLACE FUNCTION search.restore_indexes(index_name text DEFAULT NULL) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
  idx record;
BEGIN
  FOR idx IN
    SELECT d.name, d.definition FROM search.deferred_indexes AS d
    WHERE index_name IS NULL OR d.name = index_name ORDER BY d.name
  LOOP
    EXECUTE replace(idx.definition, 'CREATE INDEX ', 'CREATE INDEX IF NOT EXISTS ');
    DELETE FROM search.deferred_indexes WHERE name = idx.name;
    RETURN NEXT idx.name;
  END LOOP;
END
$$;
