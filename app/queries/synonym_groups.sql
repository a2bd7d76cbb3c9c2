-- The query's terms with their synonyms' forms ({} when none): read by every keyword search.
SELECT search.synonym_groups(%(terms)s::text[])
