-- hybrid-search 0021 (frozen copy): search.postings_deleted returns at once when a statement deleted no
-- postings, and reaches the terms' rows through their key, never by a scan of search.term_stats.

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
