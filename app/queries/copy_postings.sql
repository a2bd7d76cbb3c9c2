COPY search.postings (term, doc_id, tf, dl, tf_title, tl, grp) FROM STDIN (FORMAT BINARY)
