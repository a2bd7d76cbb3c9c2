COPY search.passages_next (doc_id, passage_no, start_char, end_char, embedding) FROM STDIN (FORMAT BINARY)
