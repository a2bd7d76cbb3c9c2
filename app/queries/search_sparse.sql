-- The hits with their bodies (for snippets) in one round trip, in rank order (sparse_rank: the function is
-- inlined into this statement, which WITH ORDINALITY would prevent). `sql-params` prints the
-- search.sparse(...) call below with this request's values.
SELECT h.*, CASE WHEN %(with_bodies)s THEN d.body END AS body, search.legs_complete() AS complete
FROM search.sparse(
    %(sparse)s::sparsevec, %(limit)s, %(offset)s, %(terms)s::text[],
    filter => %(filters)s::jsonb, ef_search => %(ef_search)s, exact_below => %(exact_below)s,
    snippet_width => 0) AS h
JOIN public.documents AS d ON d.external_id = h.id
ORDER BY h.sparse_rank
