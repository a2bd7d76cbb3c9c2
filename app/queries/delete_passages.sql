DELETE FROM search.passages WHERE doc_id = ANY(%(doc_ids)s::bigint[])
