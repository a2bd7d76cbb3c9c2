-- Back to 0026: the passages' table (and a reembed's next one) with PostgreSQL's default TOAST target;
-- rows stored inline stay readable as they are.

ALTER TABLE search.passages RESET (toast_tuple_target);
ALTER TABLE IF EXISTS search.passages_next RESET (toast_tuple_target);

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
                 'PRIMARY KEY (doc_id, passage_no))', live.storage, model_dim);
  CREATE TABLE search.reembed_done (doc_id bigint PRIMARY KEY, content_hash text NOT NULL);
  EXECUTE format('ALTER TABLE public.documents ADD COLUMN embedding_next %s(%s)', live.storage, model_dim);
  IF model_sparse_dim IS NOT NULL THEN
    EXECUTE format('ALTER TABLE public.documents ADD COLUMN sparse_next sparsevec(%s)', model_sparse_dim);
  END IF;
  RETURN true;
END
$$;
