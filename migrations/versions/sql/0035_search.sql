-- hybrid-search 0035: the postings' primary key carries the BM25 columns (INCLUDE), so looking up a
-- document's posting of a term (search.keyword_ranks' completion, the full scores of its seeds and of
-- the survivors, search.bm25_ranked) reads the index alone, not also the table's row.

ALTER TABLE search.postings DROP CONSTRAINT postings_pkey,
    ADD CONSTRAINT postings_pkey PRIMARY KEY (doc_id, term) INCLUDE (tf, tf_title, dl, tl);
