-- hybrid-search 0021 downgrade (frozen copy): search.postings_deleted as 0020 left it.

CREATE OR REPLACE FUNCTION search.postings_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE search.term_stats AS s SET df = s.df - o.n
  FROM (SELECT term, count(*) AS n FROM old_rows GROUP BY term) AS o
  WHERE s.term = o.term;
  DELETE FROM search.term_stats AS s WHERE s.df <= 0 AND s.term IN (SELECT term FROM old_rows);
  RETURN NULL;
END
$$;
