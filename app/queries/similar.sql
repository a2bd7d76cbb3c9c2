-- The nearest documents with their bodies (for the snippet of their best passage), in rank order.
SELECT s.id, s.title, s.url, s.metadata, s.distance, s.rank, s.passage_start, d.body
FROM search.similar(
    %(embedding)s::vector, %(limit)s, %(exclude)s, %(filter)s::jsonb, %(ef_search)s, %(exact_below)s
) WITH ORDINALITY AS s
JOIN public.documents AS d ON d.external_id = s.id
ORDER BY s.ordinality
