DELETE FROM search.passages_next WHERE doc_id = ANY(%(doc_ids)s::bigint[])
