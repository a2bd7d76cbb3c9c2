-- hybrid-search 0014 downgrade (frozen copy): the facet functions dropped.

DROP FUNCTION search.facets(text[], text[], jsonb, jsonb, jsonb, jsonb, integer, vector, integer, double precision, integer, integer, integer);
DROP FUNCTION search.range_bucket(numeric, jsonb);
DROP FUNCTION search.metadata_holds(jsonb, jsonb);
