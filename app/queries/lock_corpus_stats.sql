-- Every write updates this one row (its triggers do); taking it first, right after the documents'
-- table lock, gives all writers one lock order, so concurrent writes queue instead of deadlocking.
SELECT 1 FROM search.corpus_stats FOR UPDATE
