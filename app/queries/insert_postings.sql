INSERT INTO search.postings (term, doc_id, tf, dl)
SELECT p.term, p.doc_id, p.tf, p.dl
FROM unnest(%(terms)s::text[], %(doc_ids)s::bigint[], %(tfs)s::integer[], %(dls)s::integer[])
    AS p (term, doc_id, tf, dl)
ORDER BY p.term, p.doc_id
