-- 0027: the passages' vectors inline. A halfvec(1024) row (2.1 kB) is over the 2 kB at which PostgreSQL
-- moves a row's long values to TOAST, so ranking read every vector through the TOAST index; with
-- toast_tuple_target 4080 a row that fits two to a page keeps its vector. The rows stored before are
-- rewritten once (CLUSTER on the primary key, which rebuilds the table's indexes, the HNSW one included:
-- about as long as an ingest's index build), and a reembed's next table is created the same way.

SET LOCAL maintenance_work_mem = '1GB';
ALTER TABLE search.passages SET (toast_tuple_target = 4080);
CLUSTER search.passages USING passages_pkey;
ALTER TABLE search.passages SET WITHOUT CLUSTER;
DO $$
BEGIN
  IF to_regclass('search.passages_next') IS NOT NULL THEN  -- a reembed under way
    ALTER TABLE search.passages_next SET (toast_tuple_target = 4080);
    CLUSTER search.passages_next USING passages_next_pkey;
    ALTER TABLE search.passages_next SET WITHOUT CLUSTER;
  END IF;
END
$$;

CREATE OR REPLACE FUNCTION search.reembed_begin(model_name text, model_dim integer, model_sparse_dim integer)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  live record;
  target record;
BEGIN
  LOCK TABLE search.embedding_model IN SHARE ROW EXCLUSIVE MODE;
  SELECT * INTO live FROM search.embedding_model;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'HS003',
      MESSAGE = 'no embedding model is registered yet: ingest with the model you want instead';
  END IF;
  IF live.name = model_name THEN
    RAISE EXCEPTION USING ERRCODE = 'HS003',
      MESSAGE = format('the database already holds vectors from %s', model_name);
  END IF;
  SELECT * INTO target FROM search.reembed_target;
  IF FOUND AND target.name = model_name AND target.dim = model_dim
     AND target.sparse_dim IS NOT DISTINCT FROM model_sparse_dim THEN
    RETURN false;  -- resume
  END IF;
  PERFORM search.reembed_abort();
  INSERT INTO search.reembed_target (name, dim, sparse_dim) VALUES (model_name, model_dim, model_sparse_dim);
  EXECUTE format('CREATE TABLE search.passages_next (doc_id bigint NOT NULL, passage_no integer NOT NULL, '
                 'start_char integer NOT NULL, end_char integer NOT NULL, embedding %s(%s) NOT NULL, '
                 'PRIMARY KEY (doc_id, passage_no)) WITH (toast_tuple_target = 4080)', live.storage, model_dim);
  CREATE TABLE search.reembed_done (doc_id bigint PRIMARY KEY, content_hash text NOT NULL);
  EXECUTE format('ALTER TABLE public.documents ADD COLUMN embedding_next %s(%s)', live.storage, model_dim);
  IF model_sparse_dim IS NOT NULL THEN
    EXECUTE format('ALTER TABLE public.documents ADD COLUMN sparse_next sparsevec(%s)', model_sparse_dim);
  END IF;
  RETURN true;
END
$$;
