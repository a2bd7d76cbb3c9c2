-- The hits with their bodies (for snippets) in one round trip, in rank order.
SELECT h.*, CASE WHEN %(with_bodies)s THEN d.body END AS body
FROM search.semantic(
    %(embedding)s::vector, %(limit)s, %(offset)s, %(terms)s::text[], %(filter)s::jsonb, %(ef_search)s,
    snippet_width => 0, exact_below => %(exact_below)s) WITH ORDINALITY AS h
JOIN public.documents AS d ON d.external_id = h.id
ORDER BY h.ordinality
