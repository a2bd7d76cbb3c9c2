-- The hybrid search's keyword leg alone, as search.fused ranks it (search.lexical_ranks over the first
-- pages' window), as arrays for search.fuse_legs: the service ranks it while the semantic leg runs on a
-- second connection.
SELECT array_agg(k.doc_id ORDER BY k.rank) AS kw_ids, array_agg(k.rank ORDER BY k.rank) AS kw_ranks,
       array_agg(k.score ORDER BY k.rank) AS kw_scores, array_agg(k.pinyin_score ORDER BY k.rank) AS kw_pinyin
FROM search.lexical_ranks(
    %(terms)s::text[], %(rank_window)s, %(k1)s, %(b)s, %(filters)s::jsonb, %(title_weight)s) AS k
