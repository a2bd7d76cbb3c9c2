-- 0024: the BM25 statistics folded at commit (sql/02_statistics.sql): the triggers write each
-- statement's changes to search.stats_pending, and search.fold_statistics(), a deferred constraint
-- trigger, adds them to search.corpus_stats and search.term_stats when the transaction commits (or
-- asks). Concurrent writers no longer hold the statistics' rows for their whole write.

CREATE UNLOGGED TABLE search.stats_pending (
    n_docs          bigint NOT NULL DEFAULT 0,
    total_len       bigint NOT NULL DEFAULT 0,
    total_title_len bigint NOT NULL DEFAULT 0,
    generation      bigint NOT NULL DEFAULT 0,
    terms           text[],
    dfs             bigint[]
);
COMMENT ON TABLE search.stats_pending IS
    'statistics changes of transactions in progress, folded into corpus_stats and term_stats at commit';

CREATE OR REPLACE FUNCTION search.documents_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO search.stats_pending (n_docs, total_len, total_title_len, generation)
  SELECT count(*), coalesce(sum(doc_len), 0), coalesce(sum(title_len), 0), 1 FROM new_rows;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION search.documents_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO search.stats_pending (total_len, total_title_len, generation)
  SELECT (SELECT coalesce(sum(doc_len), 0) FROM new_rows) - (SELECT coalesce(sum(doc_len), 0) FROM old_rows),
         (SELECT coalesce(sum(title_len), 0) FROM new_rows) - (SELECT coalesce(sum(title_len), 0) FROM old_rows),
         1;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION search.documents_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO search.stats_pending (n_docs, total_len, total_title_len, generation)
  SELECT -count(*), -coalesce(sum(doc_len), 0), -coalesce(sum(title_len), 0), 1 FROM old_rows;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION search.postings_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO search.stats_pending (terms, dfs)
  SELECT array_agg(o.term ORDER BY o.term), array_agg(o.n ORDER BY o.term)
  FROM (SELECT term, count(*) AS n FROM new_rows GROUP BY term) AS o
  HAVING count(*) > 0;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION search.postings_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO search.stats_pending (terms, dfs)
  SELECT array_agg(o.term ORDER BY o.term), array_agg(-o.n ORDER BY o.term)
  FROM (SELECT term, count(*) AS n FROM old_rows GROUP BY term) AS o
  HAVING count(*) > 0;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION search.fold_statistics() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  rows_folded bigint;
  d_docs bigint;
  d_len bigint;
  d_title bigint;
  d_generation bigint;
  terms text[];
  dfs bigint[];
  emptied text[];
BEGIN
  WITH gone AS (
    DELETE FROM search.stats_pending RETURNING *
  ), per_term AS (
    SELECT u.term, sum(u.df)::bigint AS df
    FROM gone, unnest(gone.terms, gone.dfs) AS u(term, df)
    GROUP BY u.term HAVING sum(u.df) <> 0
  )
  SELECT count(*), sum(g.n_docs), sum(g.total_len), sum(g.total_title_len), sum(g.generation),
         (SELECT array_agg(t.term ORDER BY t.term) FROM per_term AS t),
         (SELECT array_agg(t.df ORDER BY t.term) FROM per_term AS t)
  INTO rows_folded, d_docs, d_len, d_title, d_generation, terms, dfs
  FROM gone AS g;
  IF rows_folded = 0 THEN
    RETURN NULL;
  END IF;
  UPDATE search.corpus_stats
     SET n_docs = n_docs + d_docs, total_len = total_len + d_len,
         total_title_len = total_title_len + d_title, generation = generation + d_generation;
  IF terms IS NOT NULL THEN
    WITH folded AS (
      INSERT INTO search.term_stats AS s (term, df)
      SELECT u.term, u.df FROM unnest(terms, dfs) AS u(term, df) ORDER BY u.term
      ON CONFLICT (term) DO UPDATE SET df = s.df + EXCLUDED.df
      RETURNING s.term, s.df
    )
    SELECT array_agg(f.term) INTO emptied FROM folded AS f WHERE f.df <= 0;
    IF emptied IS NOT NULL THEN
      DELETE FROM search.term_stats AS s WHERE s.term = ANY(emptied) AND s.df <= 0;
    END IF;
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION search.answers_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO search.stats_pending (generation) VALUES (1);
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER stats_pending_fold AFTER INSERT ON search.stats_pending
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION search.fold_statistics();
