INSERT INTO public.documents
    (external_id, title, body, url, metadata, tsv, doc_len, title_len, embedding, sparse, content_hash, pinyin,
     pinyin_len)
SELECT external_id, title, body, url, metadata, tsv::tsvector, doc_len, title_len, embedding, sparse,
       content_hash, pinyin::tsvector, pinyin_len
FROM staged_documents
ON CONFLICT (external_id) DO UPDATE SET
    title = EXCLUDED.title,
    body = EXCLUDED.body,
    url = EXCLUDED.url,
    metadata = EXCLUDED.metadata,
    tsv = EXCLUDED.tsv,
    doc_len = EXCLUDED.doc_len,
    title_len = EXCLUDED.title_len,
    embedding = EXCLUDED.embedding,
    sparse = EXCLUDED.sparse,
    content_hash = EXCLUDED.content_hash,
    pinyin = EXCLUDED.pinyin,
    pinyin_len = EXCLUDED.pinyin_len,
    updated_at = now()
RETURNING external_id, id
