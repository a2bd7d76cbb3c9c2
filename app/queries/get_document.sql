SELECT external_id AS id, title, body, url, metadata, doc_len, content_hash,
       embedding IS NOT NULL AS has_embedding, sparse IS NOT NULL AS has_sparse, created_at, updated_at
FROM public.documents
WHERE external_id = %(id)s
