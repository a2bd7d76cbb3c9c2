-- hybrid-search 0035 downgrade: the postings' primary key on (doc_id, term) alone, as 0005 made it.

ALTER TABLE search.postings DROP CONSTRAINT postings_pkey,
    ADD CONSTRAINT postings_pkey PRIMARY KEY (doc_id, term);
