-- hybrid-search 0012 downgrade (frozen copy): 0011's keyword_ranks_scan and fused; the synonyms dropped.

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
              AND d.metadata @> search.filter_contains(filter) AND search.conditions_hold(d.metadata, filter)
                AND search.text_holds(d.tsv, filter)))
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
RETURNS TABLE (doc_id bigint, fused_score double precision,
               keyword_rank integer, keyword_score double precision,
               semantic_rank integer, semantic_score double precision, passage_start integer,
               sparse_rank integer, sparse_score double precision)
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
           kw.rank AS keyword_rank, kw.score AS keyword_score,
           sem.rank AS semantic_rank, sem.score AS semantic_score, sem.passage_start,
           sp.rank AS sparse_rank, sp.score AS sparse_score
    FROM kw
    FULL OUTER JOIN sem ON kw.doc_id = sem.doc_id
    FULL OUTER JOIN sp ON sp.doc_id = coalesce(kw.doc_id, sem.doc_id)
  ), fused AS (
    SELECT j.doc_id,
      CASE fusion
        WHEN 'minmax' THEN (
            coalesce(keyword_weight
                     * CASE WHEN r.k_hi > r.k_lo THEN (j.keyword_score - r.k_lo) / (r.k_hi - r.k_lo) ELSE 1 END, 0)
          + coalesce(semantic_weight
                     * CASE WHEN r.s_hi > r.s_lo THEN (j.semantic_score - r.s_lo) / (r.s_hi - r.s_lo) ELSE 1 END, 0)
          + coalesce(sparse_weight
                     * CASE WHEN r.p_hi > r.p_lo THEN (j.sparse_score - r.p_lo) / (r.p_hi - r.p_lo) ELSE 1 END, 0)
          ) / nullif(w.total, 0)
        ELSE coalesce(keyword_weight / (rrf_k + j.keyword_rank), 0)
           + coalesce(semantic_weight / (rrf_k + j.semantic_rank), 0)
           + coalesce(sparse_weight / (rrf_k + j.sparse_rank), 0)
      END AS fused_score,
      j.keyword_rank, j.keyword_score, j.semantic_rank, j.semantic_score, j.passage_start,
      j.sparse_rank, j.sparse_score
    FROM joined AS j CROSS JOIN ranges AS r CROSS JOIN weights AS w
  )
  SELECT * FROM fused WHERE min_score IS NULL OR fused_score >= min_score
$$;

DROP FUNCTION search.synonym_groups(text[]);
DROP TABLE search.synonyms;
