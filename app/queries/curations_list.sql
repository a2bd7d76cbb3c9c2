SELECT id, query_key, pinned, hidden, starts_at, ends_at FROM search.curations ORDER BY id
