-- Documents whose id starts with %(prefix)s: their text, and whether their vectors are stored.
SELECT d.external_id AS id, d.body, d.embedding IS NOT NULL AS has_embedding,
       (SELECT count(*) FROM search.passages p WHERE p.doc_id = d.id) AS passages
FROM public.documents d
WHERE starts_with(d.external_id, %(prefix)s)
