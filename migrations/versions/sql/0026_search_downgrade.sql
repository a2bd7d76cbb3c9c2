-- hybrid-search 0026 downgrade: search.fused as 0013 made it, without search.fuse_legs.

CREATE OR REPLACE FUNCTION search.fused(
    query_terms text[], query_embedding vector, query_sparse sparsevec, window_size integer,
    rrf_k integer, keyword_weight double precision, semantic_weight double precision,
    sparse_weight double precision, k1 double precision, b double precision, filter jsonb,
    ef_search integer, fusion text, min_score double precision, exact_below integer,
    title_weight double precision)
RETURNS TABLE (doc_id bigint, fused_score double precision,
               keyword_rank integer, keyword_score double precision,
               semantic_rank integer, semantic_score double precision, passage_start integer,
               sparse_rank integer, sparse_score double precision, pinyin_score double precision)
LANGUAGE sql AS $$
  WITH kw AS (
    SELECT * FROM search.lexical_ranks(query_terms, window_size, k1, b, filter, title_weight)
  ), sem AS (
    SELECT * FROM search.semantic_ranks(
      query_embedding, window_size, search.vector_filter(filter), greatest(ef_search, window_size),
      exact_below)
  ), sp AS (
    SELECT * FROM search.sparse_ranks(
      query_sparse, window_size, search.vector_filter(filter), greatest(ef_search, window_size),
      exact_below)
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
           kw.rank AS keyword_rank, kw.score AS keyword_score, kw.pinyin_score,
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
      j.sparse_rank, j.sparse_score, j.pinyin_score
    FROM joined AS j CROSS JOIN ranges AS r CROSS JOIN weights AS w
  )
  SELECT * FROM fused WHERE min_score IS NULL OR fused_score >= min_score
$$;

DROP FUNCTION search.fuse_legs(
    bigint[], integer[], double precision[], double precision[], bigint[], integer[], double precision[],
    integer[], bigint[], integer[], double precision[], integer, double precision, double precision,
    double precision, text, double precision, boolean, boolean);
