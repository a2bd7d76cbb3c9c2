-- 0024 undone: the statistics updated in place again by each statement (the functions as 0001, 0018
-- and 0021 left them). Nothing is pending outside a transaction in progress.

CREATE OR REPLACE FUNCTION search.documents_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE search.corpus_stats
     SET n_docs = n_docs + (SELECT count(*) FROM new_rows),
         total_len = total_len + (SELECT coalesce(sum(doc_len), 0) FROM new_rows),
         total_title_len = total_title_len + (SELECT coalesce(sum(title_len), 0) FROM new_rows),
         generation = generation + 1;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION search.documents_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE search.corpus_stats
     SET total_len = total_len + (SELECT coalesce(sum(doc_len), 0) FROM new_rows)
                               - (SELECT coalesce(sum(doc_len), 0) FROM old_rows),
         total_title_len = total_title_len + (SELECT coalesce(sum(title_len), 0) FROM new_rows)
                                           - (SELECT coalesce(sum(title_len), 0) FROM old_rows),
         generation = generation + 1;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION search.documents_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE search.corpus_stats
     SET n_docs = n_docs - (SELECT count(*) FROM old_rows),
         total_len = total_len - (SELECT coalesce(sum(doc_len), 0) FROM old_rows),
         total_title_len = total_title_len - (SELECT coalesce(sum(title_len), 0) FROM old_rows),
         generation = generation + 1;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION search.postings_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO search.term_stats AS s (term, df)
  SELECT term, count(*) FROM new_rows GROUP BY term ORDER BY term
  ON CONFLICT (term) DO UPDATE SET df = s.df + EXCLUDED.df;
  RETURN NULL;
END
$$;

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

CREATE OR REPLACE FUNCTION search.answers_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE search.corpus_stats SET generation = generation + 1;
  RETURN NULL;
END
$$;

DROP TRIGGER stats_pending_fold ON search.stats_pending;
DROP FUNCTION search.fold_statistics();
DROP TABLE search.stats_pending;
