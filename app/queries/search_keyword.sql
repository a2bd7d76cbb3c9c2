SELECT * FROM search.keyword(
    %(terms)s::text[], %(limit)s, %(offset)s, %(k1)s, %(b)s, %(filter)s::jsonb, snippet_width => 0,
    title_weight => %(title_weight)s)
