-- The next batch of stored documents, in id order, as the analyzer needs them (retokenize).
SELECT id, external_id, title, body, url, metadata, content_hash
FROM public.documents
WHERE id > %(after)s
ORDER BY id
LIMIT %(batch)s
