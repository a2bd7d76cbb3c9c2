-- hybrid-search 0017 undone: suggestions dropped.

DROP FUNCTION search.suggest(text, integer);
DROP FUNCTION search.refresh_suggestions(integer, integer, integer, integer);
DROP FUNCTION search.suggest_candidates(integer, integer);
DROP TABLE search.suggest_prefixes;
DROP TABLE search.suggest_terms;
DROP TABLE search.suggest_readings;
