-- The postings of the stored documents a staged batch replaces, deleted before the upsert: the batch
-- writes them again, so the documents_regroup trigger has none of theirs to move (sql/14_facets.sql).
DELETE FROM search.postings AS p
USING public.documents AS d, staged_documents AS s
WHERE p.doc_id = d.id AND d.external_id = s.external_id
