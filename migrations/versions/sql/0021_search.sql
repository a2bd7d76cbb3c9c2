-- hybrid-search 0021 (frozen copy): search.postings_deleted returns at once when a statement deleted no
-- postings, and reaches the terms' rows through their key, never by a scan of search.term_stats;
-- search.semantic and search.sparse STABLE, so that the statements reading them inline them.

CREATE OR REPLACE FUNCTION search.postings_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  terms text[];
  counts bigint[];
  gone text[];
BEGIN
  SELECT array_agg(o.term ORDER BY o.term), array_agg(o.n ORDER BY o.term) INTO terms, counts
  FROM (SELECT term, count(*) AS n FROM old_rows GROUP BY term) AS o;
  IF terms IS NULL THEN
    RETURN NULL;
  END IF;
  WITH u AS (
    UPDATE search.term_stats AS s SET df = s.df - o.n
    FROM unnest(terms, counts) AS o(term, n)
    WHERE s.term = o.term
    RETURNING s.term, s.df
  )
  SELECT array_agg(u.term) INTO gone FROM u WHERE u.df <= 0;
  IF gone IS NOT NULL THEN
    DELETE FROM search.term_stats AS s WHERE s.term = ANY(gone) AND s.df <= 0;
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION search.semantic(
    query_embedding vector, result_limit integer DEFAULT 10, result_offset integer DEFAULT 0,
    query_terms text[] DEFAULT NULL, filter jsonb DEFAULT NULL, ef_search integer DEFAULT 100,
    snippet_width integer DEFAULT 160, exact_below integer DEFAULT 2000)
RETURNS SETOF search.hit LANGUAGE sql STABLE AS $$
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
RETURNS SETOF search.hit LANGUAGE sql STABLE AS $$
  SELECT d.external_id, d.title, d.url,
         CASE WHEN snippet_width > 0 THEN search.snippet(d.body, query_terms, snippet_width) END, r.score,
         NULL::integer, NULL::float8, NULL::integer, NULL::float8, d.metadata, NULL::integer, r.rank, r.score,
         NULL::float8
  FROM search.sparse_ranks(query_sparse, result_offset + result_limit, filter, ef_search, exact_below) AS r
  JOIN public.documents AS d ON d.id = r.doc_id
  WHERE r.rank > result_offset
  ORDER BY r.rank
$$;
