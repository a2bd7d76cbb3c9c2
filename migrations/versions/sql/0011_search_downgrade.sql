-- hybrid-search 0011 downgrade (frozen copy): the definitions 0010 had, then text_holds dropped.

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

-- (0005: 0003's search.keyword_ranks, renamed, its final scores summed in term order; it reads whole
-- posting lists.)
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
CREATE OR REPLACE FUNCTION search.keyword_ranks_scan(
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
      ), top AS (
        SELECT k.id FROM kept AS k
        WHERE k.bm25 >= coalesce((SELECT k2.bm25 FROM kept AS k2 ORDER BY k2.bm25 DESC OFFSET max_rank - 1 LIMIT 1),
                                 0) - 1e-9
      ), exact AS (  -- (0005) summed again in term order, as search.keyword_ranks sums
        SELECT p.doc_id AS id,
               sum(search.bm25_term(weights[array_position(terms, p.term)], p.tf, p.tf_title, p.dl, p.tl,
                                    k1, b, avgdl, title_weight) ORDER BY p.term) AS s
        FROM top JOIN search.postings AS p ON p.doc_id = top.id AND p.term = ANY(terms)
        GROUP BY p.doc_id
      )
      SELECT e.id, (row_number() OVER (ORDER BY e.s DESC, e.id))::integer, e.s
      FROM exact AS e
      ORDER BY e.s DESC, e.id
      LIMIT max_rank;
    GET DIAGNOSTICS got = ROW_COUNT;
    IF got > 0 OR rest = 0 THEN
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

DROP FUNCTION search.text_holds(tsvector, jsonb);
