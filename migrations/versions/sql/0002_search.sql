-- hybrid-search 0002: metadata filters on both legs, fixed fusion windows (stable pages), a fixed
-- HNSW ef_search with pgvector 0.8 iterative scans, exact search for selective filters, min-max fusion,
-- a title weight for BM25, and passages: long documents embedded in overlapping pieces.
-- Replaces the 0001 functions (migration 0002 drops their old signatures first).

-- A timestamp from an ISO-8601 date string, or NULL (never an error) for anything else.
CREATE OR REPLACE FUNCTION search.as_timestamptz(value text)
RETURNS timestamptz LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  IF value IS NULL OR value !~ '^\d{4}-\d{2}-\d{2}' THEN
    RETURN NULL;
  END IF;
  RETURN value::timestamptz;
EXCEPTION WHEN others THEN
  RETURN NULL;
END
$$;

-- A window of `width` characters of `body` around the first query term found (plain text; the API
-- adds highlighting). The body is lower-cased once, not once per term.
CREATE OR REPLACE FUNCTION search.snippet(body text, query_terms text[], width integer DEFAULT 160)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN x.len <= width THEN body
    ELSE (CASE WHEN x.start > 1 THEN '…' ELSE '' END)
         || substr(body, x.start, width)
         || (CASE WHEN x.start + width <= x.len THEN '…' ELSE '' END)
  END
  FROM (
    SELECT l.len, greatest(1, least(coalesce(min(p.pos), 1) - width / 4, l.len - width + 1)) AS start
    FROM (SELECT lower(body) AS lb, length(body) AS len) AS l
    LEFT JOIN LATERAL (
      SELECT strpos(l.lb, t) AS pos FROM unnest(coalesce(query_terms, '{}'::text[])) AS t
    ) AS p ON p.pos > 0
    GROUP BY l.len
  ) AS x
$$;

-- Record the embedding model on first use; refuse a different one (SQLSTATE HS001). The first
-- registration types the vector columns and builds the HNSW index on the passages.
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
  PERFORM search.type_vectors(model_dim);
END
$$;

-- Type the vector columns as vector(dim) and index the passages (used by register_model and by
-- migration 0002 on a database whose model was registered before passages existed).
CREATE OR REPLACE FUNCTION search.type_vectors(model_dim integer)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE public.documents ALTER COLUMN embedding TYPE vector(%s)', model_dim);
  EXECUTE format('ALTER TABLE search.passages ALTER COLUMN embedding TYPE vector(%s)', model_dim);
  CREATE INDEX IF NOT EXISTS passages_embedding_hnsw
    ON search.passages USING hnsw (embedding vector_cosine_ops);
END
$$;

-- Statistics triggers, now also keeping the total title length (for the title weight's avgdl).
CREATE OR REPLACE FUNCTION search.documents_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE search.corpus_stats
     SET n_docs = n_docs + (SELECT count(*) FROM new_rows),
         total_len = total_len + (SELECT coalesce(sum(doc_len), 0) FROM new_rows),
         total_title_len = total_title_len + (SELECT coalesce(sum(title_len), 0) FROM new_rows);
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION search.documents_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE search.corpus_stats
     SET total_len = total_len + (SELECT coalesce(sum(doc_len), 0) FROM new_rows)
                               - (SELECT coalesce(sum(doc_len), 0) FROM old_rows),
         total_title_len = total_title_len + (SELECT coalesce(sum(title_len), 0) FROM new_rows)
                                           - (SELECT coalesce(sum(title_len), 0) FROM old_rows);
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION search.documents_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE search.corpus_stats
     SET n_docs = n_docs - (SELECT count(*) FROM old_rows),
         total_len = total_len - (SELECT coalesce(sum(doc_len), 0) FROM old_rows),
         total_title_len = total_title_len - (SELECT coalesce(sum(title_len), 0) FROM old_rows);
  RETURN NULL;
END
$$;

-- Does one filter condition hold for the value `v` found at its path?
--   {"op": "exists"}                                 the field is present and not null
--   {"op": "in", "values": [..]}                     v (or any element of an array v) is one of values
--   {"op": "range", "gte"|"gt"|"lte"|"lt": number}   numeric range
--   {"op": "range", "type": "date", "gte": "2024-01-01", ...}   date range on ISO-8601 strings
-- Equality is not here: it is passed as `contains` so the GIN index on metadata can serve it.
CREATE OR REPLACE FUNCTION search.condition_holds(v jsonb, c jsonb)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE c->>'op'
    WHEN 'exists' THEN v IS NOT NULL AND v <> 'null'::jsonb
    WHEN 'in' THEN CASE
      WHEN v IS NULL THEN false
      WHEN jsonb_typeof(v) = 'array' THEN EXISTS (
        SELECT 1 FROM jsonb_array_elements(v) AS e WHERE (c->'values') @> jsonb_build_array(e))
      ELSE (c->'values') @> jsonb_build_array(v)
    END
    WHEN 'range' THEN CASE
      WHEN c->>'type' = 'date' THEN CASE
        WHEN jsonb_typeof(v) = 'string' AND search.as_timestamptz(v #>> '{}') IS NOT NULL THEN
              (c->'gte' IS NULL OR search.as_timestamptz(v #>> '{}') >= search.as_timestamptz(c->>'gte'))
          AND (c->'gt'  IS NULL OR search.as_timestamptz(v #>> '{}') >  search.as_timestamptz(c->>'gt'))
          AND (c->'lte' IS NULL OR search.as_timestamptz(v #>> '{}') <= search.as_timestamptz(c->>'lte'))
          AND (c->'lt'  IS NULL OR search.as_timestamptz(v #>> '{}') <  search.as_timestamptz(c->>'lt'))
        ELSE false END
      ELSE CASE
        WHEN jsonb_typeof(v) = 'number' THEN
              (c->'gte' IS NULL OR v::numeric >= (c->>'gte')::numeric)
          AND (c->'gt'  IS NULL OR v::numeric >  (c->>'gt')::numeric)
          AND (c->'lte' IS NULL OR v::numeric <= (c->>'lte')::numeric)
          AND (c->'lt'  IS NULL OR v::numeric <  (c->>'lt')::numeric)
        ELSE false END
    END
    ELSE false
  END
$$;

-- Do all of a filter's conditions hold for a document's metadata? (NULL filter: yes.)
CREATE OR REPLACE FUNCTION search.conditions_hold(metadata jsonb, filter jsonb)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT filter IS NULL OR NOT EXISTS (
    SELECT 1
    FROM jsonb_array_elements(coalesce(filter->'conditions', '[]'::jsonb)) AS c
    WHERE NOT search.condition_holds(
      jsonb_extract_path(metadata, VARIADIC ARRAY(SELECT jsonb_array_elements_text(c->'path'))), c)
  )
$$;

-- The containment part of a filter ({} when none): `metadata @> search.filter_contains(f)` uses the GIN index.
CREATE OR REPLACE FUNCTION search.filter_contains(filter jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(filter->'contains', '{}'::jsonb)
$$;

-- Okapi BM25 as Lucene (>= 8) computes it:
--   idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5))
--   score  = sum over query terms of idf(t) * tf / (tf + k1 * (1 - b + b * dl / avgdl))
-- N, df, dl and avgdl come from search.corpus_stats, search.term_stats and search.postings, which
-- triggers keep exact on every insert, update and delete. A repeated query term counts once per repeat.
-- Candidates are read from the postings of the query's terms (the same documents the tsvector GIN index
-- matches, with exact term frequencies beside them); a filter is checked on the documents table.
-- Corpus statistics are global: a filter narrows the candidates, not N or df (as in Lucene).
-- Title weight (BM25F-style, one shared k1 and b): a title occurrence counts `title_weight` times, in
-- tf and in the lengths: tf' = tf + (w - 1) * tf_title, dl' = dl + (w - 1) * title_len, avgdl' likewise.
-- With w = 1 this is plain BM25 over title + body; the default, 2, is the TITLE_WEIGHT setting's.
CREATE OR REPLACE FUNCTION search.keyword_ranks(
    query_terms text[], max_rank integer, k1 double precision DEFAULT 1.2, b double precision DEFAULT 0.75,
    filter jsonb DEFAULT NULL, title_weight double precision DEFAULT 2.0)
RETURNS TABLE (doc_id bigint, rank integer, score double precision)
LANGUAGE sql STABLE AS $$
  WITH q AS (
    SELECT t AS term, count(*) AS qtf FROM unnest(query_terms) AS t WHERE t <> '' GROUP BY t
  ), corpus AS (
    SELECT n_docs::float8 AS n,
           CASE WHEN n_docs > 0
                THEN greatest((total_len + (title_weight - 1) * total_title_len)::float8 / n_docs, 1e-9)
                ELSE 1 END AS avgdl
    FROM search.corpus_stats
  ), w AS (
    SELECT q.term, q.qtf * ln(1 + (c.n - s.df + 0.5) / (s.df + 0.5)) AS weight, c.avgdl
    FROM q JOIN search.term_stats AS s ON s.term = q.term CROSS JOIN corpus AS c
  ), scored AS (
    SELECT p.doc_id AS id,
           sum(w.weight * (p.tf + (title_weight - 1) * p.tf_title)
               / (p.tf + (title_weight - 1) * p.tf_title
                  + k1 * (1 - b + b * (p.dl + (title_weight - 1) * p.tl) / w.avgdl))) AS bm25
    FROM w JOIN search.postings AS p ON p.term = w.term
    GROUP BY p.doc_id
  ), kept AS (
    SELECT s.* FROM scored AS s WHERE filter IS NULL
    UNION ALL
    SELECT s.* FROM scored AS s JOIN public.documents AS d ON d.id = s.id
    WHERE filter IS NOT NULL
      AND d.metadata @> search.filter_contains(filter) AND search.conditions_hold(d.metadata, filter)
  )
  SELECT k.id, (row_number() OVER (ORDER BY k.bm25 DESC, k.id))::integer, k.bm25
  FROM kept AS k
  ORDER BY k.bm25 DESC, k.id
  LIMIT greatest(max_rank, 0)
$$;

-- Nearest documents by cosine distance (`<=>`, matching the HNSW index's vector_cosine_ops), read from
-- their passages: a long document is embedded as overlapping passages, and its score is that of its
-- best passage (whose start, in characters of the body, is returned for the snippet).
-- Every page must be a slice of one list, so nothing here depends on max_rank except where to stop:
-- * ef_search is fixed per call, so the index returns one deterministic stream, and pgvector 0.8
--   iterative scans (strict order) keep reading it; documents are taken in the order their first
--   passage appears, until max_rank documents have passed the filter;
-- * a corpus, or a filter, of at most `exact_below` documents is answered by exact search (the
--   choice depends on the filter and corpus alone, never on the page);
-- * otherwise the HNSW index is used for every page (sequential scans are switched off for the
--   query, or the planner would sort exactly for large LIMITs and approximately for small ones).
-- If the index scan ends before max_rank documents although more match (a scan budget, see
-- hnsw.max_scan_tuples), `search.semantic_complete` (read with current_setting) is set to 'false':
-- the list is short, and says so.
CREATE OR REPLACE FUNCTION search.semantic_ranks(
    query_embedding vector, max_rank integer, filter jsonb DEFAULT NULL,
    ef_search integer DEFAULT 100, exact_below integer DEFAULT 2000)
RETURNS TABLE (doc_id bigint, rank integer, score double precision, passage_start integer)
LANGUAGE plpgsql AS $$
DECLARE
  selective boolean := false;
  seqscan text;
  seen bigint[] := '{}';
  n integer := 0;
  available bigint;
  rec record;
BEGIN
  PERFORM set_config('search.semantic_complete', 'true', true);
  IF query_embedding IS NULL OR max_rank IS NULL OR max_rank < 1 THEN
    RETURN;
  END IF;
  PERFORM set_config('hnsw.ef_search', least(greatest(ef_search, 1), 1000)::text, true);
  PERFORM set_config('hnsw.iterative_scan', 'strict_order', true);

  IF filter IS NULL THEN
    SELECT n_docs <= exact_below INTO selective FROM search.corpus_stats;
  ELSE
    SELECT count(*) <= exact_below INTO selective FROM (
      SELECT 1 FROM public.documents AS d
      WHERE d.metadata @> search.filter_contains(filter) AND search.conditions_hold(d.metadata, filter)
      LIMIT exact_below + 1
    ) AS s;
  END IF;

  IF selective THEN
    -- Exact search over the passages of the few matching documents (MATERIALIZED: no index).
    RETURN QUERY
      WITH c AS MATERIALIZED (
        SELECT p.doc_id AS id, p.start_char, p.embedding <=> query_embedding AS dist
        FROM search.passages AS p JOIN public.documents AS d ON d.id = p.doc_id
        WHERE filter IS NULL
           OR (d.metadata @> search.filter_contains(filter) AND search.conditions_hold(d.metadata, filter))
      ), best AS (
        SELECT DISTINCT ON (c.id) c.id, c.dist, c.start_char FROM c ORDER BY c.id, c.dist, c.start_char
      )
      SELECT best.id, (row_number() OVER (ORDER BY best.dist, best.id))::integer, 1 - best.dist,
             best.start_char
      FROM best ORDER BY best.dist, best.id LIMIT max_rank;
    RETURN;
  END IF;

  seqscan := current_setting('enable_seqscan');
  PERFORM set_config('enable_seqscan', 'off', true);
  -- The loop reads the index stream lazily (a cursor): it stops as soon as max_rank documents are in.
  FOR rec IN
    SELECT p.doc_id AS id, p.start_char, p.embedding <=> query_embedding AS dist
    FROM search.passages AS p
    WHERE filter IS NULL OR EXISTS (
      SELECT 1 FROM public.documents AS d
      WHERE d.id = p.doc_id
        AND d.metadata @> search.filter_contains(filter) AND search.conditions_hold(d.metadata, filter))
    ORDER BY p.embedding <=> query_embedding
  LOOP
    CONTINUE WHEN rec.id = ANY(seen);
    seen := seen || rec.id;
    n := n + 1;
    doc_id := rec.id;
    rank := n;
    score := 1 - rec.dist;
    passage_start := rec.start_char;
    RETURN NEXT;
    EXIT WHEN n >= max_rank;
  END LOOP;
  PERFORM set_config('enable_seqscan', seqscan, true);
  IF n < max_rank THEN
    SELECT count(*) INTO available FROM (
      SELECT 1 FROM public.documents AS d
      WHERE EXISTS (SELECT 1 FROM search.passages AS p WHERE p.doc_id = d.id)
        AND (filter IS NULL OR (d.metadata @> search.filter_contains(filter)
                                AND search.conditions_hold(d.metadata, filter)))
      LIMIT max_rank
    ) AS s;
    IF available > n THEN
      PERFORM set_config('search.semantic_complete', 'false', true);
    END IF;
  END IF;
END
$$;

CREATE OR REPLACE FUNCTION search.keyword(
    query_terms text[], result_limit integer DEFAULT 10, result_offset integer DEFAULT 0,
    k1 double precision DEFAULT 1.2, b double precision DEFAULT 0.75, filter jsonb DEFAULT NULL,
    snippet_width integer DEFAULT 160, title_weight double precision DEFAULT 2.0)
RETURNS SETOF search.hit LANGUAGE sql STABLE AS $$
  SELECT d.external_id, d.title, d.url,
         CASE WHEN snippet_width > 0 THEN search.snippet(d.body, query_terms, snippet_width) END, r.score,
         r.rank, r.score, NULL::integer, NULL::float8, d.metadata, NULL::integer
  FROM search.keyword_ranks(query_terms, result_offset + result_limit, k1, b, filter, title_weight) AS r
  JOIN public.documents AS d ON d.id = r.doc_id
  WHERE r.rank > result_offset
  ORDER BY r.rank
$$;

CREATE OR REPLACE FUNCTION search.semantic(
    query_embedding vector, result_limit integer DEFAULT 10, result_offset integer DEFAULT 0,
    query_terms text[] DEFAULT NULL, filter jsonb DEFAULT NULL, ef_search integer DEFAULT 100,
    snippet_width integer DEFAULT 160, exact_below integer DEFAULT 2000)
RETURNS SETOF search.hit LANGUAGE sql AS $$
  SELECT d.external_id, d.title, d.url,
         CASE WHEN snippet_width > 0 THEN search.snippet(d.body, query_terms, snippet_width) END, r.score,
         NULL::integer, NULL::float8, r.rank, r.score, d.metadata, r.passage_start
  FROM search.semantic_ranks(query_embedding, result_offset + result_limit, filter, ef_search, exact_below) AS r
  JOIN public.documents AS d ON d.id = r.doc_id
  WHERE r.rank > result_offset
  ORDER BY r.rank
$$;

-- Hybrid search: each leg ranks its top `rank_window` documents (a fixed window, as Elasticsearch's
-- rank_window_size: the fused list does not depend on the page asked for, so pages never repeat or
-- skip a document; it must be at least offset + limit), then the legs are fused:
--   fusion = 'rrf':    score = sum of weight_leg / (rrf_k + rank_leg)
--   fusion = 'minmax': score = sum of weight_leg * (s - min) / (max - min) over the leg's window,
--                      divided by the sum of the weights (a convex combination in [0, 1])
-- A leg contributes only where it ranked the document. A NULL query_embedding (no model) fuses the
-- keyword leg alone. Hits below min_score are dropped. Ties break on the document's key.
CREATE OR REPLACE FUNCTION search.hybrid(
    query_terms text[], query_embedding vector,
    result_limit integer DEFAULT 10, result_offset integer DEFAULT 0,
    rrf_k integer DEFAULT 60,
    keyword_weight double precision DEFAULT 1.0, semantic_weight double precision DEFAULT 1.0,
    rank_window integer DEFAULT 1100,
    k1 double precision DEFAULT 1.2, b double precision DEFAULT 0.75,
    filter jsonb DEFAULT NULL, ef_search integer DEFAULT 100,
    fusion text DEFAULT 'rrf', min_score double precision DEFAULT NULL, snippet_width integer DEFAULT 160,
    exact_below integer DEFAULT 2000, title_weight double precision DEFAULT 2.0)
RETURNS SETOF search.hit LANGUAGE sql AS $$
  WITH kw AS (
    SELECT * FROM search.keyword_ranks(
      query_terms, greatest(rank_window, result_offset + result_limit), k1, b, filter, title_weight)
  ), sem AS (
    SELECT * FROM search.semantic_ranks(
      query_embedding, greatest(rank_window, result_offset + result_limit), filter, ef_search, exact_below)
  ), kw_range AS (
    SELECT min(score) AS lo, max(score) AS hi FROM kw
  ), sem_range AS (
    SELECT min(score) AS lo, max(score) AS hi FROM sem
  ), joined AS (
    SELECT coalesce(kw.doc_id, sem.doc_id) AS doc_id,
           kw.rank AS kr, kw.score AS ks, sem.rank AS sr, sem.score AS ss, sem.passage_start AS ps
    FROM kw FULL OUTER JOIN sem ON kw.doc_id = sem.doc_id
  ), fused AS (
    SELECT j.*,
      CASE fusion
        WHEN 'minmax' THEN (
            coalesce(keyword_weight * CASE WHEN kr.hi > kr.lo THEN (j.ks - kr.lo) / (kr.hi - kr.lo) ELSE 1 END, 0)
          + coalesce(semantic_weight * CASE WHEN sr.hi > sr.lo THEN (j.ss - sr.lo) / (sr.hi - sr.lo) ELSE 1 END, 0)
          ) / nullif(keyword_weight + semantic_weight, 0)
        ELSE coalesce(keyword_weight / (rrf_k + j.kr), 0) + coalesce(semantic_weight / (rrf_k + j.sr), 0)
      END AS fused_score
    FROM joined AS j CROSS JOIN kw_range AS kr CROSS JOIN sem_range AS sr
  ), page AS (
    SELECT * FROM fused
    WHERE min_score IS NULL OR fused_score >= min_score
    ORDER BY fused_score DESC, doc_id
    LIMIT result_limit OFFSET result_offset
  )
  SELECT d.external_id, d.title, d.url,
         CASE WHEN snippet_width > 0 THEN search.snippet(d.body, query_terms, snippet_width) END, p.fused_score,
         p.kr, p.ks, p.sr, p.ss, d.metadata, p.ps
  FROM page AS p JOIN public.documents AS d ON d.id = p.doc_id
  ORDER BY p.fused_score DESC, p.doc_id
$$;
