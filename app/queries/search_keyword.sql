-- The hits with their bodies (for snippets) in one round trip, in rank order.
SELECT h.*, CASE WHEN %(with_bodies)s THEN d.body END AS body
FROM search.keyword(
    %(terms)s::text[], %(limit)s, %(offset)s, %(k1)s, %(b)s, %(filter)s::jsonb, snippet_width => 0,
    title_weight => %(title_weight)s) WITH ORDINALITY AS h
JOIN public.documents AS d ON d.external_id = h.id
ORDER BY h.ordinality
