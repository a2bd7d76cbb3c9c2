-- hybrid-search 0015 downgrade (frozen copy): curations dropped.

DROP FUNCTION search.curate(text, text[], jsonb, timestamptz);
DROP FUNCTION search.curation(text, timestamptz);
DROP TABLE search.curations;
