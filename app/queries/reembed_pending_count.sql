SELECT count(*)
FROM public.documents AS d
LEFT JOIN search.reembed_done AS r ON r.doc_id = d.id
WHERE d.embedding IS NOT NULL AND r.content_hash IS DISTINCT FROM d.content_hash
