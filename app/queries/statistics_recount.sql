-- The stored BM25 statistics beside a recount from the tables themselves: they agree when the
-- corpus row matches the documents and no term's document frequency differs from its postings.
SELECT s.n_docs, s.total_len, r.n_docs AS recount_docs, r.total_len AS recount_len,
       (SELECT count(*)
        FROM search.term_stats t
        FULL JOIN (SELECT term, count(*) AS df FROM search.postings GROUP BY term) p USING (term)
        WHERE t.df IS DISTINCT FROM p.df) AS terms_drifted
FROM search.corpus_stats s,
     (SELECT count(*) AS n_docs, coalesce(sum(doc_len), 0) AS total_len FROM public.documents) r
