-- hybrid-search: the `search` schema functions analysts and the API both call.
-- Installed by migration 0001 (migrations/versions/0001_initial.py); later revisions add new files.
-- Every function takes tokens (text[]) and a query vector as parameters: nothing is built from user
-- text by concatenation. `hybrid-search search --json` prints the tokens a query becomes.

-- An OR-tsquery of the given terms. Each term is quoted as a tsquery lexeme, so any character is safe.
CREATE OR REPLACE FUNCTION search.terms_tsquery(query_terms text[])
RETURNS tsquery LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT string_agg('''' || replace(replace(t, '\', '\\'), '''', '''''') || '''', ' | ' ORDER BY t)::tsquery
  FROM (SELECT DISTINCT t FROM unnest(query_terms) AS t WHERE t <> '') AS s
$$;

-- Okapi BM25 as Lucene (>= 8) computes it, over the documents the GIN index matches:
--   idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5))
--   score  = sum over query terms of idf(t) * tf / (tf + k1 * (1 - b + b * dl / avgdl))
-- N, df, dl and avgdl come from search.corpus_stats, search.term_stats and search.postings, which
-- triggers keep exact on every insert, update and delete. A repeated query term counts once per repeat.
CREATE OR REPLACE FUNCTION search.keyword_ranks(
    query_terms text[], max_rank integer, k1 double precision DEFAULT 1.2, b double precision DEFAULT 0.75)
RETURNS TABLE (doc_id bigint, rank integer, score double precision)
LANGUAGE sql STABLE AS $$
  WITH q AS (
    SELECT t AS term, count(*) AS qtf FROM unnest(query_terms) AS t WHERE t <> '' GROUP BY t
  ), corpus AS (
    SELECT n_docs::float8 AS n,
           CASE WHEN n_docs > 0 THEN total_len::float8 / n_docs ELSE 1 END AS avgdl
    FROM search.corpus_stats
  ), w AS (
    SELECT q.term, q.qtf * ln(1 + (c.n - s.df + 0.5) / (s.df + 0.5)) AS weight, c.avgdl
    FROM q JOIN search.term_stats AS s ON s.term = q.term CROSS JOIN corpus AS c
  ), matched AS (
    SELECT d.id FROM public.documents AS d WHERE d.tsv @@ search.terms_tsquery(query_terms)
  ), scored AS (
    SELECT p.doc_id AS id,
           sum(w.weight * p.tf / (p.tf + k1 * (1 - b + b * p.dl / w.avgdl))) AS bm25
    FROM matched AS m
    JOIN search.postings AS p ON p.doc_id = m.id
    JOIN w ON w.term = p.term
    GROUP BY p.doc_id
  )
  SELECT s.id, (row_number() OVER (ORDER BY s.bm25 DESC, s.id))::integer, s.bm25
  FROM scored AS s
  ORDER BY s.bm25 DESC, s.id
  LIMIT greatest(max_rank, 0)
$$;

-- Nearest documents by cosine distance through the HNSW index (vector_cosine_ops matches <=>).
-- ef_search grows with the window and pgvector 0.8 iterative scans keep the window full.
CREATE OR REPLACE FUNCTION search.semantic_ranks(query_embedding vector, max_rank integer)
RETURNS TABLE (doc_id bigint, rank integer, score double precision)
LANGUAGE plpgsql AS $$
BEGIN
  IF query_embedding IS NULL OR max_rank IS NULL OR max_rank < 1 THEN
    RETURN;
  END IF;
  PERFORM set_config('hnsw.ef_search', greatest(40, least(max_rank, 1000))::text, true);
  PERFORM set_config('hnsw.iterative_scan', 'strict_order', true);
  RETURN QUERY
    SELECT n.id, (row_number() OVER (ORDER BY n.dist, n.id))::integer, 1 - n.dist
    FROM (
      SELECT d.id, d.embedding <=> query_embedding AS dist
      FROM public.documents AS d
      WHERE d.embedding IS NOT NULL
      ORDER BY d.embedding <=> query_embedding
      LIMIT max_rank
    ) AS n
    ORDER BY n.dist, n.id;
END
$$;

-- A window of `width` characters of `body` around the first query term found (plain text).
CREATE OR REPLACE FUNCTION search.snippet(body text, query_terms text[], width integer DEFAULT 160)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN length(body) <= width THEN body
    ELSE (CASE WHEN x.start > 1 THEN '…' ELSE '' END)
         || substr(body, x.start, width)
         || (CASE WHEN x.start + width <= length(body) THEN '…' ELSE '' END)
  END
  FROM (
    SELECT greatest(1, least(coalesce(min(p.pos), 1) - width / 4, length(body) - width + 1)) AS start
    FROM (
      SELECT strpos(lower(body), t) AS pos FROM unnest(coalesce(query_terms, '{}'::text[])) AS t
    ) AS p
    WHERE p.pos > 0
  ) AS x
$$;

-- One page of hits from a ranked leg (or the fused list): the same columns for every mode.
CREATE OR REPLACE FUNCTION search.keyword(
    query_terms text[], result_limit integer DEFAULT 10, result_offset integer DEFAULT 0,
    k1 double precision DEFAULT 1.2, b double precision DEFAULT 0.75)
RETURNS SETOF search.hit LANGUAGE sql STABLE AS $$
  SELECT d.external_id, d.title, d.url, search.snippet(d.body, query_terms), r.score,
         r.rank, r.score, NULL::integer, NULL::float8, d.metadata
  FROM search.keyword_ranks(query_terms, result_offset + result_limit, k1, b) AS r
  JOIN public.documents AS d ON d.id = r.doc_id
  WHERE r.rank > result_offset
  ORDER BY r.rank
$$;

CREATE OR REPLACE FUNCTION search.semantic(
    query_embedding vector, result_limit integer DEFAULT 10, result_offset integer DEFAULT 0,
    query_terms text[] DEFAULT NULL)
RETURNS SETOF search.hit LANGUAGE sql AS $$
  SELECT d.external_id, d.title, d.url, search.snippet(d.body, query_terms), r.score,
         NULL::integer, NULL::float8, r.rank, r.score, d.metadata
  FROM search.semantic_ranks(query_embedding, result_offset + result_limit) AS r
  JOIN public.documents AS d ON d.id = r.doc_id
  WHERE r.rank > result_offset
  ORDER BY r.rank
$$;

-- Reciprocal rank fusion: score = sum over legs of weight / (rrf_k + rank). Each leg fetches a window
-- of max(leg_window, 2 * (offset + limit)) so deep pages are fused from full lists. A NULL
-- query_embedding (model unavailable) fuses the keyword leg alone. Ties break on the document's key.
CREATE OR REPLACE FUNCTION search.hybrid(
    query_terms text[], query_embedding vector,
    result_limit integer DEFAULT 10, result_offset integer DEFAULT 0,
    rrf_k integer DEFAULT 60,
    keyword_weight double precision DEFAULT 1.0, semantic_weight double precision DEFAULT 1.0,
    leg_window integer DEFAULT 100,
    k1 double precision DEFAULT 1.2, b double precision DEFAULT 0.75)
RETURNS SETOF search.hit LANGUAGE sql AS $$
  WITH kw AS (
    SELECT * FROM search.keyword_ranks(
      query_terms, greatest(leg_window, 2 * (result_offset + result_limit)), k1, b)
  ), sem AS (
    SELECT * FROM search.semantic_ranks(
      query_embedding, greatest(leg_window, 2 * (result_offset + result_limit)))
  ), fused AS (
    SELECT coalesce(kw.doc_id, sem.doc_id) AS doc_id,
           coalesce(keyword_weight / (rrf_k + kw.rank), 0)
             + coalesce(semantic_weight / (rrf_k + sem.rank), 0) AS rrf,
           kw.rank AS kr, kw.score AS ks, sem.rank AS sr, sem.score AS ss
    FROM kw FULL OUTER JOIN sem ON kw.doc_id = sem.doc_id
  ), page AS (
    SELECT * FROM fused ORDER BY rrf DESC, doc_id LIMIT result_limit OFFSET result_offset
  )
  SELECT d.external_id, d.title, d.url, search.snippet(d.body, query_terms), p.rrf,
         p.kr, p.ks, p.sr, p.ss, d.metadata
  FROM page AS p JOIN public.documents AS d ON d.id = p.doc_id
  ORDER BY p.rrf DESC, p.doc_id
$$;

-- Record the embedding model on first use; refuse a different one (SQLSTATE HS001).
-- The first registration types the vector column and builds its HNSW index.
CREATE OR REPLACE FUNCTION search.register_model(model_name text, model_dim integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  cur record;
BEGIN
  LOCK TABLE search.embedding_model IN SHARE ROW EXCLUSIVE MODE;
  SELECT name, dim INTO cur FROM search.embedding_model;
  IF FOUND THEN
    IF cur.name <> model_name OR cur.dim <> model_dim THEN
      RAISE EXCEPTION USING
        ERRCODE = 'HS001',
        MESSAGE = format('embedding model mismatch: the database holds %s-d vectors from %s, '
                         'but the configured model is %s (%s-d)', cur.dim, cur.name, model_name, model_dim),
        HINT = 'set EMBEDDING_MODEL to the recorded model, or load into a new database';
    END IF;
    RETURN;
  END IF;
  IF model_dim < 1 OR model_dim > 2000 THEN
    RAISE EXCEPTION USING ERRCODE = 'HS002',
      MESSAGE = format('vector dimension %s is outside 1..2000 (the HNSW limit)', model_dim);
  END IF;
  INSERT INTO search.embedding_model (name, dim) VALUES (model_name, model_dim);
  EXECUTE format('ALTER TABLE public.documents ALTER COLUMN embedding TYPE vector(%s)', model_dim);
  CREATE INDEX IF NOT EXISTS documents_embedding_hnsw
    ON public.documents USING hnsw (embedding vector_cosine_ops);
END
$$;

-- Statistics triggers: statement-level, over transition tables, so a batch costs one update.
CREATE OR REPLACE FUNCTION search.documents_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE search.corpus_stats
     SET n_docs = n_docs + (SELECT count(*) FROM new_rows),
         total_len = total_len + (SELECT coalesce(sum(doc_len), 0) FROM new_rows);
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION search.documents_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE search.corpus_stats
     SET total_len = total_len + (SELECT coalesce(sum(doc_len), 0) FROM new_rows)
                               - (SELECT coalesce(sum(doc_len), 0) FROM old_rows);
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION search.documents_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE search.corpus_stats
     SET n_docs = n_docs - (SELECT count(*) FROM old_rows),
         total_len = total_len - (SELECT coalesce(sum(doc_len), 0) FROM old_rows);
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION search.postings_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO search.term_stats AS s (term, df)
  SELECT term, count(*) FROM new_rows GROUP BY term ORDER BY term
  ON CONFLICT (term) DO UPDATE SET df = s.df + EXCLUDED.df;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION search.postings_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE search.term_stats AS s SET df = s.df - o.n
  FROM (SELECT term, count(*) AS n FROM old_rows GROUP BY term) AS o
  WHERE s.term = o.term;
  DELETE FROM search.term_stats AS s WHERE s.df <= 0 AND s.term IN (SELECT term FROM old_rows);
  RETURN NULL;
END
$$;
