COPY search.query_log (at, query, mode, filters, page_offset, page_limit, latency_ms, hits, top_ids, degraded,
                       search_id, client)
FROM STDIN
