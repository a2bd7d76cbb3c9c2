-- hybrid-search 0006: how vectors are stored and indexed is chosen at the model's first registration:
-- `vector` (4 bytes a dimension) or `halfvec` (2: half the HNSW index and its memory, the same recall
-- within a point, docs/performance.md), and the HNSW graph's m and ef_construction. They are recorded
-- with the model (search.embedding_model) and kept by every later registration.

-- Record the embedding model on first use; refuse a different one (SQLSTATE HS001). The first
-- registration types the vector columns and builds the HNSW index on the passages with the given
-- storage and graph parameters. A model that gives lexical weights also records its vocabulary size
-- (`model_sparse_dim`), which types the sparse column and builds its HNSW index; the same model may add
-- it later (weights stored from then on).
CREATE OR REPLACE FUNCTION search.register_model(
    model_name text, model_dim integer, model_sparse_dim integer DEFAULT NULL,
    storage text DEFAULT 'vector', hnsw_m integer DEFAULT 16, hnsw_ef_construction integer DEFAULT 64)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  cur record;
  max_dim integer;
BEGIN
  LOCK TABLE search.embedding_model IN SHARE ROW EXCLUSIVE MODE;
  SELECT name, dim, sparse_dim INTO cur FROM search.embedding_model;
  IF FOUND THEN
    IF cur.name <> model_name OR cur.dim <> model_dim THEN
      RAISE EXCEPTION USING
        ERRCODE = 'HS001',
        MESSAGE = format('embedding model mismatch: the database holds %s-d vectors from %s, '
                         'but the configured model is %s (%s-d)', cur.dim, cur.name, model_name, model_dim),
        HINT = 'set EMBEDDING_MODEL to the recorded model, or load into a new database';
    END IF;
    IF model_sparse_dim IS NOT NULL AND cur.sparse_dim IS NULL THEN
      UPDATE search.embedding_model SET sparse_dim = model_sparse_dim;
      PERFORM search.type_sparse(model_sparse_dim);
    ELSIF model_sparse_dim IS NOT NULL AND cur.sparse_dim <> model_sparse_dim THEN
      RAISE EXCEPTION USING
        ERRCODE = 'HS001',
        MESSAGE = format('sparse vocabulary mismatch: the database holds %s-d lexical weights, '
                         'but %s gives %s-d ones', cur.sparse_dim, model_name, model_sparse_dim);
    END IF;
    RETURN;
  END IF;
  max_dim := (CASE WHEN storage = 'halfvec' THEN 4000 ELSE 2000 END);
  IF model_dim < 1 OR model_dim > max_dim THEN
    RAISE EXCEPTION USING ERRCODE = 'HS002',
      MESSAGE = format('vector dimension %s is outside 1..%s (the HNSW limit for %s)', model_dim, max_dim, storage);
  END IF;
  INSERT INTO search.embedding_model (name, dim, sparse_dim, storage, hnsw_m, hnsw_ef_construction)
  VALUES (model_name, model_dim, model_sparse_dim, storage, hnsw_m, hnsw_ef_construction);
  PERFORM search.type_vectors(model_dim, storage, hnsw_m, hnsw_ef_construction);
  IF model_sparse_dim IS NOT NULL THEN
    PERFORM search.type_sparse(model_sparse_dim);
  END IF;
END
$$;

-- Type the vector columns as vector(dim) or halfvec(dim) and index the passages for cosine distance
-- (queries pass a `vector`, which casts to halfvec implicitly, so the same SQL serves both).
CREATE OR REPLACE FUNCTION search.type_vectors(
    model_dim integer, storage text DEFAULT 'vector', hnsw_m integer DEFAULT 16,
    hnsw_ef_construction integer DEFAULT 64)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF storage NOT IN ('vector', 'halfvec') THEN
    RAISE EXCEPTION USING ERRCODE = 'HS002', MESSAGE = format('unknown vector storage %L', storage);
  END IF;
  EXECUTE format('ALTER TABLE public.documents ALTER COLUMN embedding TYPE %s(%s)', storage, model_dim);
  EXECUTE format('ALTER TABLE search.passages ALTER COLUMN embedding TYPE %s(%s)', storage, model_dim);
  EXECUTE format('CREATE INDEX IF NOT EXISTS passages_embedding_hnsw ON search.passages '
                 'USING hnsw (embedding %s_cosine_ops) WITH (m = %s, ef_construction = %s)',
                 storage, hnsw_m, hnsw_ef_construction);
END
$$;
