-- The document's next vector (its first passage's) and lexical weights, and the content they came from.
WITH d AS (
    UPDATE public.documents SET embedding_next = %(embedding)s, sparse_next = %(sparse)s
    WHERE id = %(doc_id)s
    RETURNING id
)
INSERT INTO search.reembed_done (doc_id, content_hash)
SELECT id, %(content_hash)s FROM d
ON CONFLICT (doc_id) DO UPDATE SET content_hash = excluded.content_hash
