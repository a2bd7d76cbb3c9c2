INSERT INTO search.postings (term, doc_id, tf, dl, tf_title, tl)
SELECT p.term, p.doc_id, p.tf, p.dl, p.tf_title, p.tl
FROM unnest(%(terms)s::text[], %(doc_ids)s::bigint[], %(tfs)s::integer[], %(dls)s::integer[],
            %(title_tfs)s::integer[], %(title_lens)s::integer[])
    AS p (term, doc_id, tf, dl, tf_title, tl)
ORDER BY p.term, p.doc_id
