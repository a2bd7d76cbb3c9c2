-- Undo 0029: terms in the database's collation again (the indexes on them rebuilt).

SET LOCAL maintenance_work_mem = '1GB';
ALTER TABLE search.postings ALTER COLUMN term TYPE text COLLATE "default";
ALTER TABLE search.term_stats ALTER COLUMN term TYPE text COLLATE "default";
