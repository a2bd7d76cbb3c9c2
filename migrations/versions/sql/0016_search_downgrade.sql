-- hybrid-search 0016 undone: the click views, events and the query log's search ids and clients.

DROP VIEW search.unclicked_queries;
DROP VIEW search.click_stats;
DROP FUNCTION search.record_events(timestamptz[], text[], uuid[], text[], integer[], text[]);
DROP TABLE search.events;
DROP INDEX search.query_log_search_id;
ALTER TABLE search.query_log DROP COLUMN search_id, DROP COLUMN client;
