SELECT * FROM search.sparse(
    %(sparse)s::sparsevec, %(limit)s, %(offset)s, %(terms)s::text[], %(filter)s::jsonb, %(ef_search)s,
    snippet_width => 0, exact_below => %(exact_below)s)
