-- Each document's metadata group (for its postings), new groups numbered (sql/14_facets.sql).
SELECT doc_id, grp FROM search.metadata_groups_of(%(doc_ids)s::bigint[])
