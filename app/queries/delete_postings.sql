DELETE FROM search.postings WHERE doc_id = ANY(%(doc_ids)s::bigint[])
