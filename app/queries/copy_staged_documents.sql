COPY staged_documents (external_id, title, body, url, metadata, tsv, doc_len, title_len, embedding, sparse,
                       content_hash, pinyin, pinyin_len)
FROM STDIN (FORMAT BINARY)
