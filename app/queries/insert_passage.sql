INSERT INTO search.passages (doc_id, passage_no, start_char, end_char, embedding)
VALUES (%(doc_id)s, %(no)s, %(start)s, %(end)s, %(embedding)s)
