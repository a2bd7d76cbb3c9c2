-- The total and the facet counts of a search (sql/14_facets.sql), on the search's own connection.
SELECT field, value, count, capped
FROM search.facets(
    %(facet_terms)s::text[], %(facet_fields)s::text[], filter => %(filters)s::jsonb,
    base => %(facet_base)s::jsonb, field_filters => %(facet_filters)s::jsonb,
    ranges => %(facet_ranges)s::jsonb, facet_size => %(facet_size)s,
    query_embedding => %(facet_embedding)s::vector, semantic_window => %(rank_window)s,
    semantic_floor => %(facet_semantic_floor)s, max_docs => %(facet_max_docs)s,
    ef_search => %(ef_search)s, exact_below => %(exact_below)s,
    pinned => %(facet_pinned)s::text[], hidden => %(facet_hidden)s::text[],
    sample_docs => %(facet_sample_docs)s)
