COPY search.postings (term, doc_id, tf, dl, tf_title, tl) FROM STDIN (FORMAT BINARY)
