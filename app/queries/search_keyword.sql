-- The hits with their bodies (for snippets) in one round trip, in rank order. `sql-params` prints the
-- search.keyword(...) call below with this request's values.
SELECT h.*, CASE WHEN %(with_bodies)s THEN d.body END AS body
FROM search.keyword(
    %(terms)s::text[], %(limit)s, %(offset)s,
    k1 => %(k1)s, b => %(b)s, filter => %(filters)s::jsonb, title_weight => %(title_weight)s,
    snippet_width => 0) WITH ORDINALITY AS h
JOIN public.documents AS d ON d.external_id = h.id
ORDER BY h.ordinality
