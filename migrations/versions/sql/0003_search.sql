-- hybrid-search 0003: the learned sparse leg. bge-m3's lexical weights are stored per document as a
-- pgvector sparsevec (its heaviest terms, at most 1000 non-zeros, the HNSW limit) and searched by inner
-- product, alone (search.sparse) or as a third leg of search.hybrid. Replaces 0002's register_model,
-- keyword, semantic and hybrid (migration 0003 drops their old signatures first).

-- Record the embedding model on first use; refuse a different one (SQLSTATE HS001). The first
-- registration types the vector columns and builds the HNSW index on the passages. A model that gives
-- lexical weights also records its vocabulary size (`model_sparse_dim`), which types the sparse column
-- and builds its HNSW index; the same model may add it later (weights stored from then on).
CREATE OR REPLACE FUNCTION search.register_model(
    model_name text, model_dim integer, model_sparse_dim integer DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  cur record;
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
  IF model_dim < 1 OR model_dim > 2000 THEN
    RAISE EXCEPTION USING ERRCODE = 'HS002',
      MESSAGE = format('vector dimension %s is outside 1..2000 (the HNSW limit)', model_dim);
  END IF;
  INSERT INTO search.embedding_model (name, dim, sparse_dim) VALUES (model_name, model_dim, model_sparse_dim);
  PERFORM search.type_vectors(model_dim);
  IF model_sparse_dim IS NOT NULL THEN
    PERFORM search.type_sparse(model_sparse_dim);
  END IF;
END
$$;

-- Type the sparse column as sparsevec(dim) and index it for inner product (pgvector's sparsevec HNSW
-- takes at most 1000 non-zeros per vector: ingest keeps each document's heaviest terms).
CREATE OR REPLACE FUNCTION search.type_sparse(sparse_dim integer)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE public.documents ALTER COLUMN sparse TYPE sparsevec(%s)', sparse_dim);
  CREATE INDEX IF NOT EXISTS documents_sparse_hnsw
    ON public.documents USING hnsw (sparse sparsevec_ip_ops);
END
$$;

-- Does the corpus, or the filter, leave at most `exact_below` documents? Then the vector legs search
-- exactly (no index): the choice depends on the filter and corpus alone, never on the page.
CREATE OR REPLACE FUNCTION search.exact_search_pays(filter jsonb, exact_below integer)
RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT CASE
    WHEN filter IS NULL THEN (SELECT n_docs <= exact_below FROM search.corpus_stats)
    ELSE (SELECT count(*) <= exact_below FROM (
            SELECT 1 FROM public.documents AS d
            WHERE d.metadata @> search.filter_contains(filter) AND search.conditions_hold(d.metadata, filter)
            LIMIT exact_below + 1) AS s)
  END
$$;

-- Documents by the inner product of their lexical weights with the query's (bge-m3's lexical matching
-- score; `<#>` is its negation, matching the HNSW index's sparsevec_ip_ops). Only documents sharing a
-- term with the query (score > 0) are ranked, as the keyword leg ranks only matching documents.
-- The same rules as search.semantic_ranks keep pages stable: ef_search fixed per call, iterative scans in
-- strict order, exact search when the corpus or the filter leaves at most `exact_below` documents.
-- If the index scan ends before max_rank documents and before the scores reach 0, although more
-- documents with weights pass the filter, `search.sparse_complete` is set to 'false'.
CREATE OR REPLACE FUNCTION search.sparse_ranks(
    query_sparse sparsevec, max_rank integer, filter jsonb DEFAULT NULL,
    ef_search integer DEFAULT 100, exact_below integer DEFAULT 2000)
RETURNS TABLE (doc_id bigint, rank integer, score double precision)
LANGUAGE plpgsql AS $$
DECLARE
  selective boolean := false;
  seqscan text;
  n integer := 0;
  seen integer := 0;
  reached_zero boolean := false;
  available bigint;
  rec record;
BEGIN
  PERFORM set_config('search.sparse_complete', 'true', true);
  IF query_sparse IS NULL OR max_rank IS NULL OR max_rank < 1 THEN
    RETURN;
  END IF;
  PERFORM set_config('hnsw.ef_search', least(greatest(ef_search, 1), 1000)::text, true);
  PERFORM set_config('hnsw.iterative_scan', 'strict_order', true);

  selective := search.exact_search_pays(filter, exact_below);

  IF selective THEN
    RETURN QUERY
      WITH c AS MATERIALIZED (
        SELECT d.id, -(d.sparse <#> query_sparse) AS ip
        FROM public.documents AS d
        WHERE d.sparse IS NOT NULL
          AND (filter IS NULL
               OR (d.metadata @> search.filter_contains(filter) AND search.conditions_hold(d.metadata, filter)))
      )
      SELECT c.id, (row_number() OVER (ORDER BY c.ip DESC, c.id))::integer, c.ip
      FROM c WHERE c.ip > 0 ORDER BY c.ip DESC, c.id LIMIT max_rank;
    RETURN;
  END IF;

  seqscan := current_setting('enable_seqscan');
  PERFORM set_config('enable_seqscan', 'off', true);
  FOR rec IN
    SELECT d.id, -(d.sparse <#> query_sparse) AS ip
    FROM public.documents AS d
    WHERE d.sparse IS NOT NULL
      AND (filter IS NULL
           OR (d.metadata @> search.filter_contains(filter) AND search.conditions_hold(d.metadata, filter)))
    ORDER BY d.sparse <#> query_sparse
  LOOP
    seen := seen + 1;
    IF rec.ip <= 0 THEN
      reached_zero := true;
      EXIT;
    END IF;
    n := n + 1;
    doc_id := rec.id;
    rank := n;
    score := rec.ip;
    RETURN NEXT;
    EXIT WHEN n >= max_rank;
  END LOOP;
  PERFORM set_config('enable_seqscan', seqscan, true);
  IF n < max_rank AND NOT reached_zero THEN
    SELECT count(*) INTO available FROM (
      SELECT 1 FROM public.documents AS d
      WHERE d.sparse IS NOT NULL
        AND (filter IS NULL OR (d.metadata @> search.filter_contains(filter)
                                AND search.conditions_hold(d.metadata, filter)))
      LIMIT seen + 1
    ) AS s;
    IF available > seen THEN
      PERFORM set_config('search.sparse_complete', 'false', true);
    END IF;
  END IF;
END
$$;

-- One term's BM25 contribution to a document (Lucene's formula, with the BM25F-style title weight: a
-- title occurrence counts `title_weight` times in tf and in the lengths). Inlined by the planner.
CREATE OR REPLACE FUNCTION search.bm25_term(
    weight double precision, tf integer, tf_title integer, dl integer, tl integer,
    k1 double precision, b double precision, avgdl double precision, title_weight double precision)
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT weight * (tf + (title_weight - 1) * tf_title)
         / (tf + (title_weight - 1) * tf_title + k1 * (1 - b + b * (dl + (title_weight - 1) * tl) / avgdl))
$$;

-- (0003: the same scores and order as 0002's, found with less work.)
-- Okapi BM25 as Lucene (>= 8) computes it:
--   idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5))
--   score  = sum over query terms of idf(t) * tf / (tf + k1 * (1 - b + b * dl / avgdl))
-- N, df, dl and avgdl come from search.corpus_stats, search.term_stats and search.postings, which
-- triggers keep exact on every insert, update and delete. A repeated query term counts once per repeat.
-- Corpus statistics are global: a filter narrows the candidates, not N or df (as in Lucene).
--
-- MaxScore (Turtle & Flood 1995), exact: a term adds at most its weight qtf * idf (tf / (tf + K) < 1).
-- Terms are taken rarest (heaviest) first; after the first i, the documents containing none of them can
-- score at most the sum of the other terms' weights (`rest`). The max_rank-th best partial score over
-- the first i terms is a lower bound of the final max_rank-th score (`theta`), so once rest < theta no
-- other document can enter the top max_rank: only documents holding one of the first i terms (the rare,
-- short posting lists) are scored, and the common terms' postings are read only for those whose partial
-- score plus `rest` reaches theta. With one term, or when the bound does not hold, every posting is scored.
CREATE OR REPLACE FUNCTION search.keyword_ranks(
    query_terms text[], max_rank integer, k1 double precision DEFAULT 1.2, b double precision DEFAULT 0.75,
    filter jsonb DEFAULT NULL, title_weight double precision DEFAULT 2.0)
RETURNS TABLE (doc_id bigint, rank integer, score double precision)
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan AS $$
DECLARE
  n float8;
  avgdl float8;
  terms text[];
  weights float8[];
  i integer;
  rest float8;
  got bigint;
  first_try integer;
  dfs bigint[];
BEGIN
  IF max_rank IS NULL OR max_rank < 1 THEN
    RETURN;
  END IF;
  SELECT c.n_docs::float8,
         CASE WHEN c.n_docs > 0
              THEN greatest((c.total_len + (title_weight - 1) * c.total_title_len)::float8 / c.n_docs, 1e-9)
              ELSE 1 END
  INTO n, avgdl FROM search.corpus_stats AS c;
  SELECT array_agg(w.term ORDER BY w.weight DESC, w.term), array_agg(w.weight ORDER BY w.weight DESC, w.term),
         array_agg(w.df ORDER BY w.weight DESC, w.term)
  INTO terms, weights, dfs
  FROM (
    SELECT q.term, q.qtf * ln(1 + (n - s.df + 0.5) / (s.df + 0.5)) AS weight, s.df
    FROM (SELECT t AS term, count(*) AS qtf FROM unnest(query_terms) AS t WHERE t <> '' GROUP BY t) AS q
    JOIN search.term_stats AS s ON s.term = q.term
  ) AS w;
  IF terms IS NULL THEN
    RETURN;
  END IF;

  -- theta <= the sum of the first i weights, and needs max_rank candidates, so the bound cannot hold
  -- before the first i terms outweigh the rest and hold max_rank postings: the first try is the
  -- shortest such prefix, then the next one; if neither bound holds, every term is scored (trying
  -- each prefix in turn costs more, in the queries where it fails, than it saves).
  first_try := (SELECT min(j) FROM generate_series(1, cardinality(terms)) AS j
                WHERE (SELECT sum(x) FROM unnest(dfs[1:j]) AS x) >= max_rank
                  AND (SELECT sum(x) FROM unnest(weights[1:j]) AS x)
                      > coalesce((SELECT sum(x) FROM unnest(weights[j + 1:]) AS x), 0));
  FOREACH i IN ARRAY ARRAY[least(first_try, cardinality(terms)), least(first_try + 1, cardinality(terms)),
                           cardinality(terms)] LOOP
    rest := coalesce((SELECT sum(x) FROM unnest(weights[i + 1:]) AS x), 0);
    -- One statement per step: the candidates' partial scores are computed once; when the bound does not
    -- hold yet (theta <= rest), it returns nothing and the next term joins the candidates' terms.
    RETURN QUERY
      WITH cand AS MATERIALIZED (
        SELECT p.doc_id AS id,
               sum(search.bm25_term(weights[array_position(terms, p.term)], p.tf, p.tf_title, p.dl, p.tl,
                                    k1, b, avgdl, title_weight)) AS partial
        FROM search.postings AS p
        WHERE p.term = ANY(terms[1:i])
          AND (filter IS NULL OR EXISTS (
            SELECT 1 FROM public.documents AS d WHERE d.id = p.doc_id
              AND d.metadata @> search.filter_contains(filter) AND search.conditions_hold(d.metadata, filter)))
        GROUP BY p.doc_id
      ), bound AS (
        SELECT CASE WHEN count(*) >= max_rank THEN min(t.partial) END AS theta
        FROM (SELECT c.partial FROM cand AS c ORDER BY c.partial DESC LIMIT max_rank) AS t
      ), kept AS (
        SELECT c.id, c.partial + CASE WHEN rest > 0 THEN coalesce((
                 SELECT sum(search.bm25_term(weights[array_position(terms, p.term)], p.tf, p.tf_title, p.dl,
                                             p.tl, k1, b, avgdl, title_weight))
                 FROM search.postings AS p
                 WHERE p.term = ANY(terms[i + 1:]) AND p.doc_id = c.id), 0) ELSE 0 END AS bm25
        FROM cand AS c CROSS JOIN bound AS bd
        WHERE (rest = 0 OR bd.theta > rest) AND (bd.theta IS NULL OR c.partial + rest >= bd.theta)
      )
      SELECT k.id, (row_number() OVER (ORDER BY k.bm25 DESC, k.id))::integer, k.bm25
      FROM kept AS k
      ORDER BY k.bm25 DESC, k.id
      LIMIT max_rank;
    GET DIAGNOSTICS got = ROW_COUNT;
    IF got > 0 OR rest = 0 THEN
      -- How many of the terms generated candidates ("2/5"): for tests and EXPLAIN-minded analysts.
      PERFORM set_config('search.keyword_essential_terms', i || '/' || cardinality(terms), true);
      RETURN;
    END IF;
  END LOOP;
END
$$;

-- (0003: the same as 0002's, with a one-query fast path.)
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
  fetch_n integer := max_rank + 16;
  streamed integer;
  ids bigint[];
  dists double precision[];
  starts integer[];
BEGIN
  PERFORM set_config('search.semantic_complete', 'true', true);
  IF query_embedding IS NULL OR max_rank IS NULL OR max_rank < 1 THEN
    RETURN;
  END IF;
  PERFORM set_config('hnsw.ef_search', least(greatest(ef_search, 1), 1000)::text, true);
  PERFORM set_config('hnsw.iterative_scan', 'strict_order', true);

  selective := search.exact_search_pays(filter, exact_below);

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
  -- Fast path: the first max_rank + 16 passages of the index stream in one query, each document at its
  -- first (best) passage, in stream order. When they hold max_rank documents, or the stream ends within
  -- them, this is exactly what reading the stream document by document gives (below), at a fraction
  -- of the cost.
  WITH stream AS (
    SELECT p.doc_id AS id, p.start_char, p.embedding <=> query_embedding AS dist
    FROM search.passages AS p
    WHERE filter IS NULL OR EXISTS (
      SELECT 1 FROM public.documents AS d
      WHERE d.id = p.doc_id
        AND d.metadata @> search.filter_contains(filter) AND search.conditions_hold(d.metadata, filter))
    ORDER BY p.embedding <=> query_embedding
    LIMIT fetch_n
  ), numbered AS (
    SELECT s.*, row_number() OVER () AS pos FROM stream AS s
  ), firsts AS (
    SELECT DISTINCT ON (x.id) x.id, x.start_char, x.dist, x.pos FROM numbered AS x ORDER BY x.id, x.pos
  ), kept AS (
    SELECT * FROM firsts ORDER BY firsts.pos LIMIT max_rank
  )
  SELECT (SELECT count(*) FROM numbered), array_agg(k.id ORDER BY k.pos), array_agg(k.dist ORDER BY k.pos),
         array_agg(k.start_char ORDER BY k.pos)
  INTO streamed, ids, dists, starts
  FROM kept AS k;
  IF coalesce(cardinality(ids), 0) >= max_rank OR streamed < fetch_n THEN
    PERFORM set_config('enable_seqscan', seqscan, true);
    n := coalesce(cardinality(ids), 0);
    RETURN QUERY
      SELECT u.id, u.ord::integer, 1 - u.dist, u.start_char
      FROM unnest(ids, dists, starts) WITH ORDINALITY AS u (id, dist, start_char, ord);
    IF n >= max_rank THEN
      RETURN;
    END IF;
  ELSE
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
  END IF;
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
         r.rank, r.score, NULL::integer, NULL::float8, d.metadata, NULL::integer, NULL::integer, NULL::float8
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
         NULL::integer, NULL::float8, r.rank, r.score, d.metadata, r.passage_start, NULL::integer, NULL::float8
  FROM search.semantic_ranks(query_embedding, result_offset + result_limit, filter, ef_search, exact_below) AS r
  JOIN public.documents AS d ON d.id = r.doc_id
  WHERE r.rank > result_offset
  ORDER BY r.rank
$$;

-- The learned sparse leg alone: documents by lexical matching score.
CREATE OR REPLACE FUNCTION search.sparse(
    query_sparse sparsevec, result_limit integer DEFAULT 10, result_offset integer DEFAULT 0,
    query_terms text[] DEFAULT NULL, filter jsonb DEFAULT NULL, ef_search integer DEFAULT 100,
    snippet_width integer DEFAULT 160, exact_below integer DEFAULT 2000)
RETURNS SETOF search.hit LANGUAGE sql AS $$
  SELECT d.external_id, d.title, d.url,
         CASE WHEN snippet_width > 0 THEN search.snippet(d.body, query_terms, snippet_width) END, r.score,
         NULL::integer, NULL::float8, NULL::integer, NULL::float8, d.metadata, NULL::integer, r.rank, r.score
  FROM search.sparse_ranks(query_sparse, result_offset + result_limit, filter, ef_search, exact_below) AS r
  JOIN public.documents AS d ON d.id = r.doc_id
  WHERE r.rank > result_offset
  ORDER BY r.rank
$$;

-- One fusion of the legs over a window: each leg ranks its top `window_size` documents, then
--   fusion = 'rrf':    score = sum of weight_leg / (rrf_k + rank_leg)
--   fusion = 'minmax': score = sum of weight_leg * (s - min) / (max - min) over the leg's window,
--                      divided by the sum of the weights of the legs that ran (a convex combination)
-- The legs: keyword (BM25), semantic (dense cosine) and, when `query_sparse` is given, the learned
-- sparse leg. A leg contributes only where it ranked the document. A NULL query_embedding (no model)
-- leaves the semantic leg out. Fused scores below min_score are dropped. The vector legs read the HNSW
-- index with ef_search at least the window (a fixed value per window, so the lists are repeatable).
CREATE OR REPLACE FUNCTION search.fused(
    query_terms text[], query_embedding vector, query_sparse sparsevec, window_size integer,
    rrf_k integer, keyword_weight double precision, semantic_weight double precision,
    sparse_weight double precision, k1 double precision, b double precision, filter jsonb,
    ef_search integer, fusion text, min_score double precision, exact_below integer,
    title_weight double precision)
RETURNS TABLE (doc_id bigint, fused_score double precision, kr integer, ks double precision, sr integer,
               ss double precision, ps integer, pr integer, pscore double precision)
LANGUAGE sql AS $$
  WITH kw AS (
    SELECT * FROM search.keyword_ranks(query_terms, window_size, k1, b, filter, title_weight)
  ), sem AS (
    SELECT * FROM search.semantic_ranks(
      query_embedding, window_size, filter, greatest(ef_search, window_size), exact_below)
  ), sp AS (
    SELECT * FROM search.sparse_ranks(
      query_sparse, window_size, filter, greatest(ef_search, window_size), exact_below)
  ), ranges AS (
    SELECT (SELECT min(score) FROM kw) AS k_lo, (SELECT max(score) FROM kw) AS k_hi,
           (SELECT min(score) FROM sem) AS s_lo, (SELECT max(score) FROM sem) AS s_hi,
           (SELECT min(score) FROM sp) AS p_lo, (SELECT max(score) FROM sp) AS p_hi
  ), weights AS (
    SELECT keyword_weight
           + CASE WHEN query_embedding IS NULL THEN 0 ELSE semantic_weight END
           + CASE WHEN query_sparse IS NULL THEN 0 ELSE sparse_weight END AS total
  ), joined AS (
    SELECT coalesce(kw.doc_id, sem.doc_id, sp.doc_id) AS doc_id,
           kw.rank AS kr, kw.score AS ks, sem.rank AS sr, sem.score AS ss, sem.passage_start AS ps,
           sp.rank AS pr, sp.score AS pscore
    FROM kw
    FULL OUTER JOIN sem ON kw.doc_id = sem.doc_id
    FULL OUTER JOIN sp ON sp.doc_id = coalesce(kw.doc_id, sem.doc_id)
  ), fused AS (
    SELECT j.doc_id,
      CASE fusion
        WHEN 'minmax' THEN (
            coalesce(keyword_weight * CASE WHEN r.k_hi > r.k_lo THEN (j.ks - r.k_lo) / (r.k_hi - r.k_lo) ELSE 1 END, 0)
          + coalesce(semantic_weight * CASE WHEN r.s_hi > r.s_lo THEN (j.ss - r.s_lo) / (r.s_hi - r.s_lo) ELSE 1 END, 0)
          + coalesce(sparse_weight * CASE WHEN r.p_hi > r.p_lo THEN (j.pscore - r.p_lo) / (r.p_hi - r.p_lo) ELSE 1 END, 0)
          ) / nullif(w.total, 0)
        ELSE coalesce(keyword_weight / (rrf_k + j.kr), 0) + coalesce(semantic_weight / (rrf_k + j.sr), 0)
           + coalesce(sparse_weight / (rrf_k + j.pr), 0)
      END AS fused_score,
      j.kr, j.ks, j.sr, j.ss, j.ps, j.pr, j.pscore
    FROM joined AS j CROSS JOIN ranges AS r CROSS JOIN weights AS w
  )
  SELECT * FROM fused WHERE min_score IS NULL OR fused_score >= min_score
$$;

-- Hybrid search: the legs fused over a window of `rank_window` documents each (as Elasticsearch's
-- rank_window_size), so the first pages cost little. Deeper pages (offset + limit > rank_window) read a
-- fusion over `deep_window` documents per leg, from which the hits already shown are removed: positions
-- 1..rank_window come from the small fusion, later ones from the deep one, and the whole is one fixed
-- list, so walking the pages never repeats or skips a document. Ties break on the document's key.
CREATE OR REPLACE FUNCTION search.hybrid(
    query_terms text[], query_embedding vector,
    result_limit integer DEFAULT 10, result_offset integer DEFAULT 0,
    rrf_k integer DEFAULT 10,
    keyword_weight double precision DEFAULT 1.0, semantic_weight double precision DEFAULT 1.0,
    rank_window integer DEFAULT 100,
    k1 double precision DEFAULT 1.2, b double precision DEFAULT 0.75,
    filter jsonb DEFAULT NULL, ef_search integer DEFAULT 100,
    fusion text DEFAULT 'rrf', min_score double precision DEFAULT NULL, snippet_width integer DEFAULT 160,
    exact_below integer DEFAULT 2000, title_weight double precision DEFAULT 2.0,
    query_sparse sparsevec DEFAULT NULL, sparse_weight double precision DEFAULT 1.0,
    deep_window integer DEFAULT 1100)
RETURNS SETOF search.hit LANGUAGE sql AS $$
  WITH shallow AS (
    SELECT f.*, row_number() OVER (ORDER BY f.fused_score DESC, f.doc_id) AS pos
    FROM search.fused(query_terms, query_embedding, query_sparse, rank_window, rrf_k, keyword_weight,
                      semantic_weight, sparse_weight, k1, b, filter, ef_search, fusion, min_score,
                      exact_below, title_weight) AS f
  ), head AS (
    SELECT * FROM shallow WHERE pos <= rank_window
  ), deep AS (
    SELECT f.*, (SELECT count(*) FROM head) + row_number() OVER (ORDER BY f.fused_score DESC, f.doc_id) AS pos
    FROM search.fused(query_terms, query_embedding, query_sparse,
                      greatest(deep_window, result_offset + result_limit), rrf_k, keyword_weight,
                      semantic_weight, sparse_weight, k1, b, filter, ef_search, fusion, min_score,
                      exact_below, title_weight) AS f
    WHERE result_offset + result_limit > rank_window
      AND NOT EXISTS (SELECT 1 FROM head AS h WHERE h.doc_id = f.doc_id)
  ), page AS (
    SELECT * FROM (SELECT * FROM head UNION ALL SELECT * FROM deep) AS m
    WHERE m.pos > result_offset
    ORDER BY m.pos
    LIMIT result_limit
  )
  SELECT d.external_id, d.title, d.url,
         CASE WHEN snippet_width > 0 THEN search.snippet(d.body, query_terms, snippet_width) END, p.fused_score,
         p.kr, p.ks, p.sr, p.ss, d.metadata, p.ps, p.pr, p.pscore
  FROM page AS p JOIN public.documents AS d ON d.id = p.doc_id
  ORDER BY p.pos
$$;
