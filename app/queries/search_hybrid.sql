-- The hits with their bodies (for snippets) in one round trip, in rank order. `sql-params` prints the
-- search.hybrid(...) call below with this request's values.
SELECT h.*, CASE WHEN %(with_bodies)s THEN d.body END AS body, search.legs_complete() AS complete
FROM search.hybrid(
    %(terms)s::text[], %(embedding)s::vector, %(limit)s, %(offset)s,
    rrf_k => %(rrf_k)s, keyword_weight => %(keyword_weight)s, semantic_weight => %(semantic_weight)s,
    rank_window => %(rank_window)s, deep_window => %(deep_window)s,
    k1 => %(k1)s, b => %(b)s, title_weight => %(title_weight)s,
    filter => %(filters)s::jsonb, ef_search => %(ef_search)s, exact_below => %(exact_below)s,
    fusion => %(fusion)s, min_score => %(min_score)s,
    query_sparse => %(sparse)s::sparsevec, sparse_weight => %(sparse_weight)s,
    snippet_width => 0) WITH ORDINALITY AS h
JOIN public.documents AS d ON d.external_id = h.id
ORDER BY h.ordinality
