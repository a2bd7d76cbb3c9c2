SELECT page_offset, top_ids FROM search.query_log WHERE search_id = %(search_id)s::uuid
