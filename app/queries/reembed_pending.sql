-- Documents with vectors whose content has no vector from the next model yet (new, changed, or not
-- reached), in id order.
SELECT d.id, d.title, d.body, d.content_hash
FROM public.documents AS d
LEFT JOIN search.reembed_done AS r ON r.doc_id = d.id
WHERE d.embedding IS NOT NULL AND r.content_hash IS DISTINCT FROM d.content_hash
ORDER BY d.id
LIMIT %(limit)s
