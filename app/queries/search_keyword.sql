-- The hits with their bodies (for snippets) in one round trip, in rank order (keyword_rank: the function is
-- inlined into this statement, which WITH ORDINALITY would prevent). `sql-params` prints the
-- search.keyword(...) call below with this request's values.
SELECT h.*, CASE WHEN %(with_bodies)s THEN d.body END AS body
FROM search.keyword(
    %(terms)s::text[], %(limit)s, %(offset)s,
    k1 => %(k1)s, b => %(b)s, filter => %(filters)s::jsonb, title_weight => %(title_weight)s,
    snippet_width => 0) AS h
JOIN public.documents AS d ON d.external_id = h.id
ORDER BY h.keyword_rank
