-- Document frequencies of some terms and the corpus size, to pick a long query's strongest terms
-- (app/search/terms.py). Terms no document holds have no row.
SELECT s.term, s.df, c.n_docs
FROM search.term_stats AS s
CROSS JOIN search.corpus_stats AS c
WHERE s.term = ANY(%(terms)s::text[])
