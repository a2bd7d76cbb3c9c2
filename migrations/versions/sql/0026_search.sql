-- hybrid-search 0026 (frozen copy): search.fuse_legs, the fusion of legs already ranked (arrays), which
-- search.fused now calls with its legs; the service calls it with a hybrid search's two legs ranked side
-- by side on two connections. Same rows as before.

-- One fusion of the legs over a window: each leg ranks its top `window_size` documents, then
--   fusion = 'rrf':    score = sum of weight_leg / (rrf_k + rank_leg)
--   fusion = 'minmax': score = sum of weight_leg * (s - min) / (max - min) over the leg's window,
--                      divided by the sum of the weights of the legs that ran (a convex combination)
-- The legs: keyword (BM25), semantic (dense cosine) and, when `query_sparse` is given, the learned
-- sparse leg. A leg contributes only where it ranked the document. A NULL query_embedding (no model)
-- leaves the semantic leg out. The filter's synonyms are the keyword leg's alone: the vector legs get
-- the filter without them (none at all when nothing else is in it), and so is the query's pinyin: the
-- keyword leg is search.lexical_ranks, whose pinyin-only matches rank after its character matches, and
-- carry `pinyin_score`. Fused scores below min_score are
-- dropped. The vector legs read the HNSW index with ef_search at least the window (a fixed value per
-- window, so the lists are repeatable).
-- (0026) The fusion itself, of legs already ranked: each leg's documents, ranks and scores as arrays
-- (the keyword leg's pinyin scores, the semantic leg's passage starts), `with_semantic`/`with_sparse`
-- whether those legs ran (their weights count in min-max's denominator). search.fused reads its legs
-- and calls it; the service calls it with legs it ranked side by side on two connections.
CREATE OR REPLACE FUNCTION search.fuse_legs(
    kw_ids bigint[], kw_ranks integer[], kw_scores double precision[], kw_pinyin double precision[],
    sem_ids bigint[], sem_ranks integer[], sem_scores double precision[], sem_starts integer[],
    sp_ids bigint[], sp_ranks integer[], sp_scores double precision[],
    rrf_k integer, keyword_weight double precision, semantic_weight double precision,
    sparse_weight double precision, fusion text, min_score double precision,
    with_semantic boolean, with_sparse boolean)
RETURNS TABLE (doc_id bigint, fused_score double precision,
               keyword_rank integer, keyword_score double precision,
               semantic_rank integer, semantic_score double precision, passage_start integer,
               sparse_rank integer, sparse_score double precision, pinyin_score double precision)
LANGUAGE sql IMMUTABLE AS $$
  WITH kw AS (
    SELECT * FROM unnest(kw_ids, kw_ranks, kw_scores, kw_pinyin) AS k(doc_id, rank, score, pinyin_score)
  ), sem AS (
    SELECT * FROM unnest(sem_ids, sem_ranks, sem_scores, sem_starts) AS s(doc_id, rank, score, passage_start)
  ), sp AS (
    SELECT * FROM unnest(sp_ids, sp_ranks, sp_scores) AS p(doc_id, rank, score)
  ), ranges AS (
    SELECT (SELECT min(score) FROM kw) AS k_lo, (SELECT max(score) FROM kw) AS k_hi,
           (SELECT min(score) FROM sem) AS s_lo, (SELECT max(score) FROM sem) AS s_hi,
           (SELECT min(score) FROM sp) AS p_lo, (SELECT max(score) FROM sp) AS p_hi
  ), weights AS (
    SELECT keyword_weight
           + CASE WHEN with_semantic THEN semantic_weight ELSE 0 END
           + CASE WHEN with_sparse THEN sparse_weight ELSE 0 END AS total
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
    SELECT array_agg(k.doc_id ORDER BY k.rank) AS ids, array_agg(k.rank ORDER BY k.rank) AS ranks,
           array_agg(k.score ORDER BY k.rank) AS scores, array_agg(k.pinyin_score ORDER BY k.rank) AS pinyin
    FROM search.lexical_ranks(query_terms, window_size, k1, b, filter, title_weight) AS k
  ), sem AS (
    SELECT array_agg(s.doc_id ORDER BY s.rank) AS ids, array_agg(s.rank ORDER BY s.rank) AS ranks,
           array_agg(s.score ORDER BY s.rank) AS scores, array_agg(s.passage_start ORDER BY s.rank) AS starts
    FROM search.semantic_ranks(
      query_embedding, window_size, search.vector_filter(filter), greatest(ef_search, window_size),
      exact_below) AS s
  ), sp AS (
    SELECT array_agg(p.doc_id ORDER BY p.rank) AS ids, array_agg(p.rank ORDER BY p.rank) AS ranks,
           array_agg(p.score ORDER BY p.rank) AS scores
    FROM search.sparse_ranks(
      query_sparse, window_size, search.vector_filter(filter), greatest(ef_search, window_size),
      exact_below) AS p
  )
  SELECT f.* FROM kw, sem, sp, search.fuse_legs(
    kw.ids, kw.ranks, kw.scores, kw.pinyin, sem.ids, sem.ranks, sem.scores, sem.starts,
    sp.ids, sp.ranks, sp.scores, rrf_k, keyword_weight, semantic_weight, sparse_weight, fusion, min_score,
    query_embedding IS NOT NULL, query_sparse IS NOT NULL) AS f
$$;
