-- The hits with their bodies (for snippets) in one round trip, in rank order.
SELECT h.*, CASE WHEN %(with_bodies)s THEN d.body END AS body
FROM search.hybrid(
    %(terms)s::text[], %(embedding)s::vector, %(limit)s, %(offset)s, %(rrf_k)s,
    %(keyword_weight)s, %(semantic_weight)s, %(rank_window)s, %(k1)s, %(b)s,
    %(filter)s::jsonb, %(ef_search)s, %(fusion)s, %(min_score)s, snippet_width => 0,
    exact_below => %(exact_below)s, title_weight => %(title_weight)s,
    query_sparse => %(sparse)s::sparsevec, sparse_weight => %(sparse_weight)s,
    deep_window => %(deep_window)s) WITH ORDINALITY AS h
JOIN public.documents AS d ON d.external_id = h.id
ORDER BY h.ordinality
