SELECT * FROM search.hybrid(
    %(terms)s::text[], %(embedding)s::vector, %(limit)s, %(offset)s, %(rrf_k)s,
    %(keyword_weight)s, %(semantic_weight)s, %(leg_window)s, %(k1)s, %(b)s)
