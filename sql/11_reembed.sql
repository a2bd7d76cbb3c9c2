-- Switching embedding models without downtime (`hybrid-search reembed --model M`).
-- The new model's vectors are written beside the live ones (search.passages_next, and the columns
-- documents.embedding_next / sparse_next), indexed, then swapped in by one short transaction; searches
-- read the live ones all along. Writes meanwhile go to the live columns with the old model: the swap
-- transaction first re-embeds the documents that changed (search.reembed_done remembers which content
-- each next vector was made from).

CREATE TABLE search.reembed_target (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    name       text NOT NULL,
    dim        integer NOT NULL,
    sparse_dim integer,
    started_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE search.reembed_target IS 'the model a running (or interrupted) reembed is switching to';

-- Start (or resume) a switch to `model_name`: the next vectors' table and columns, typed as the live
-- ones are stored. Resuming with the same model keeps what was done; another model starts over.
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

-- The next vectors' HNSW index, with the live one's storage and graph parameters (built before the
-- swap, on a table no search reads yet).
CREATE OR REPLACE FUNCTION search.reembed_index()
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  live record;
BEGIN
  SELECT * INTO live FROM search.embedding_model;
  EXECUTE format('CREATE INDEX IF NOT EXISTS passages_next_embedding_hnsw ON search.passages_next '
                 'USING hnsw (embedding %s_cosine_ops) WITH (m = %s, ef_construction = %s)',
                 live.storage, live.hnsw_m, live.hnsw_ef_construction);
END
$$;

-- Drop whatever a switch had written (also how `reembed --abort` ends one).
CREATE OR REPLACE FUNCTION search.reembed_abort()
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DROP TABLE IF EXISTS search.passages_next;
  DROP TABLE IF EXISTS search.reembed_done;
  ALTER TABLE public.documents DROP COLUMN IF EXISTS embedding_next;
  ALTER TABLE public.documents DROP COLUMN IF EXISTS sparse_next;
  DELETE FROM search.reembed_target;
END
$$;

-- The swap: the next vectors become the live ones and the model record changes, in the caller's
-- transaction (which has re-embedded every changed document under a lock that keeps writers out).
-- Searches running meanwhile read the old vectors until it commits.
CREATE OR REPLACE FUNCTION search.reembed_swap()
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  target record;
  missing bigint;
BEGIN
  SELECT * INTO target FROM search.reembed_target;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'HS003', MESSAGE = 'no reembed is in progress';
  END IF;
  SELECT count(*) INTO missing FROM public.documents AS d
  LEFT JOIN search.reembed_done AS r ON r.doc_id = d.id
  WHERE d.embedding IS NOT NULL AND r.content_hash IS DISTINCT FROM d.content_hash;
  IF missing > 0 THEN
    RAISE EXCEPTION USING ERRCODE = 'HS003',
      MESSAGE = format('%s documents have no vector from %s yet', missing, target.name);
  END IF;
  -- Wait for the searches that checked the old model; later ones wait for this commit.
  PERFORM pg_advisory_xact_lock(search.switch_lock_key());
  UPDATE search.embedding_model
  SET name = target.name, dim = target.dim, sparse_dim = target.sparse_dim, registered_at = now();
  DELETE FROM search.passages_next AS p
  WHERE NOT EXISTS (SELECT 1 FROM public.documents AS d WHERE d.id = p.doc_id);
  DROP TABLE search.passages;
  ALTER TABLE search.passages_next RENAME TO passages;
  ALTER INDEX search.passages_next_pkey RENAME TO passages_pkey;
  ALTER INDEX search.passages_next_embedding_hnsw RENAME TO passages_embedding_hnsw;
  ALTER TABLE public.documents DROP COLUMN embedding;
  ALTER TABLE public.documents RENAME COLUMN embedding_next TO embedding;
  ALTER TABLE public.documents DROP COLUMN sparse;
  IF target.sparse_dim IS NOT NULL THEN
    ALTER TABLE public.documents RENAME COLUMN sparse_next TO sparse;
    ALTER INDEX IF EXISTS public.documents_sparse_next_hnsw RENAME TO documents_sparse_hnsw;
  ELSE
    ALTER TABLE public.documents ADD COLUMN sparse sparsevec;
  END IF;
  COMMENT ON COLUMN public.documents.embedding IS 'unit dense vector of the first passage';
  DROP TABLE search.reembed_done;
  DELETE FROM search.reembed_target;
END
$$;
