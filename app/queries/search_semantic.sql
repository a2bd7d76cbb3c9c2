SELECT * FROM search.semantic(
    %(embedding)s::vector, %(limit)s, %(offset)s, %(terms)s::text[], %(filter)s::jsonb, %(ef_search)s,
    snippet_width => 0, exact_below => %(exact_below)s)
