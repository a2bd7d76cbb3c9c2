-- What a search reads before its statement, in one round trip on its connection: the synonyms of its
-- terms (NULL terms, as in the vector modes: none), the curation in force for its query (NULLs: none),
-- the answer version (an answer is kept only under the version its connection saw), and whether any
-- synonym rule or curation exists at all (none: the next search sends its statement with this read).
SELECT search.synonym_groups(%(terms)s::text[]) AS synonyms, c.pinned, c.hidden,
       search.answers_version() AS version,
       EXISTS (SELECT FROM search.synonyms) OR EXISTS (SELECT FROM search.curations) AS rules
FROM (SELECT 1) AS one LEFT JOIN search.curation(%(q)s) AS c ON true
