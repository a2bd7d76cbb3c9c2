-- The curation in force for the query now (no row when there is none).
SELECT pinned, hidden FROM search.curation(%(q)s)
