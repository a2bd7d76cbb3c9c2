CREATE TEMP TABLE IF NOT EXISTS staged_documents (
    external_id text, title text, body text, url text, metadata jsonb, tsv text, doc_len integer,
    title_len integer, embedding vector, sparse sparsevec, content_hash text, pinyin text, pinyin_len integer
) ON COMMIT DELETE ROWS
