SELECT search.record_events(%(ats)s::timestamptz[], %(kinds)s::text[], %(search_ids)s::uuid[],
                            %(doc_ids)s::text[], %(positions)s::integer[], %(clients)s::text[])
