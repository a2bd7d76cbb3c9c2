-- hybrid-search 0021 downgrade (frozen copy): search.postings_deleted, search.semantic and search.sparse
-- as 0020 left them.

CREATE OR REPLACE FUNCTION search.postings_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE search.term_stats AS s SET df = s.df - o.n
  FROM (SELECT term, count(*) AS n FROM old_rows GROUP BY term) AS o
  WHERE s.term = o.term;
  DELETE FROM search.term_stats AS s WHERE s.df <= 0 AND s.term IN (SELECT term FROM old_rows);
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION search.semantic(
    query_embedding vector, result_limit integer DEFAULT 10, result_offset integer DEFAULT 0,
    query_terms text[] DEFAULT NULL, filter jsonb DEFAULT NULL, ef_search integer DEFAULT 100,
    snippet_width integer DEFAULT 160, exact_below integer DEFAULT 2000)
RETURNS SETOF search.hit LANGUAGE sql AS $$
  SELECT d.external_id, d.title, d.url,
         CASE WHEN snippet_width > 0 THEN search.snippet(d.body, query_terms, snippet_width) END, r.score,
         NULL::integer, NULL::float8, r.rank, r.score, d.metadata, r.passage_start, NULL::integer, NULL::float8,
         NULL::float8
  FROM search.semantic_ranks(query_embedding, result_offset + result_limit, filter, ef_search, exact_below) AS r
  JOIN public.documents AS d ON d.id = r.doc_id
  WHERE r.rank > result_offset
  ORDER BY r.rank
$$;

CREATE OR REPLACE FUNCTION search.sparse(
    query_sparse sparsevec, result_limit integer DEFAULT 10, result_offset integer DEFAULT 0,
    query_terms text[] DEFAULT NULL, filter jsonb DEFAULT NULL, ef_search integer DEFAULT 100,
    snippet_width integer DEFAULT 160, exact_below integer DEFAULT 2000)
RETURNS SETOF search.hit LANGUAGE sql AS $$
  SELECT d.external_id, d.title, d.url,
         CASE WHEN snippet_width > 0 THEN search.snippet(d.body, query_terms, snippet_width) END, r.score,
         NULL::integer, NULL::float8, NULL::integer, NULL::float8, d.metadata, NULL::integer, r.rank, r.score,
         NULL::float8
  FROM search.sparse_ranks(query_sparse, result_offset + result_limit, filter, ef_search, exact_below) AS r
  JOIN public.documents AS d ON d.id = r.doc_id
  WHERE r.rank > result_offset
  ORDER BY r.rank
$$;
