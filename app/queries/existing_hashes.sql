SELECT external_id, content_hash, embedding IS NOT NULL, sparse IS NOT NULL
FROM public.documents WHERE external_id = ANY(%(ids)s::text[])
