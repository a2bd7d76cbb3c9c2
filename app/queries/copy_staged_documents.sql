COPY staged_documents (external_id, title, body, url, metadata, tsv, doc_len, title_len, embedding, sparse,
                       content_hash)
FROM STDIN (FORMAT BINARY)
