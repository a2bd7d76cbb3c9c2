-- BM25 statistics kept exact by statement-level triggers: N and the total lengths in
-- search.corpus_stats, df per term in search.term_stats, maintained from the documents and their postings
-- on every insert, update and delete, whoever writes (the API, ingest or an analyst's SQL).

-- (0024) Folded at commit. The triggers write what each statement changes to search.stats_pending, a
-- row the other writers do not see and never wait on; at commit (or when the writer asks earlier:
-- SET CONSTRAINTS search.stats_pending_fold IMMEDIATE) search.fold_statistics() adds the transaction's
-- rows to search.corpus_stats and search.term_stats and deletes them. So concurrent writers hold the
-- statistics' rows only from their fold to their commit, not for their whole write (they used to queue
-- behind each other for all of it), and every committed state is exact: a reader sees a write's
-- documents, postings and statistics together. Inside an uncommitted transaction that has not folded,
-- its own reads of the statistics do not include its writes yet. `generation` counts the writes (what
-- cached answers are checked against: sql/18_answers.sql).
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

-- (0021) Nothing to do for a statement that deleted no postings (an upsert's delete of the postings
-- of documents it is about to write, when they are new).
CREATE OR REPLACE FUNCTION search.postings_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO search.stats_pending (terms, dfs)
  SELECT array_agg(o.term ORDER BY o.term), array_agg(-o.n ORDER BY o.term)
  FROM (SELECT term, count(*) AS n FROM old_rows GROUP BY term) AS o
  HAVING count(*) > 0;
  RETURN NULL;
END
$$;

-- The transaction's pending rows (other transactions' are invisible to it) added to the statistics, in
-- one lock order for every writer: the corpus row, then the terms' rows by term. A term whose df falls
-- to 0 is deleted (reached by its key: never a scan of search.term_stats). Run by the deferred trigger
-- below once per pending row: the first run folds them all, the others find none.
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

CREATE OR REPLACE FUNCTION search.documents_cascade() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM search.postings WHERE doc_id IN (SELECT id FROM old_rows);
  DELETE FROM search.passages WHERE doc_id IN (SELECT id FROM old_rows);
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION search.documents_cascade() IS
    'deletes the postings and passages of deleted documents (instead of per-row foreign keys)';

CREATE OR REPLACE TRIGGER documents_stats_insert AFTER INSERT ON public.documents
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search.documents_inserted();
CREATE OR REPLACE TRIGGER documents_stats_update AFTER UPDATE ON public.documents
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION search.documents_updated();
CREATE OR REPLACE TRIGGER documents_stats_delete AFTER DELETE ON public.documents
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION search.documents_deleted();
CREATE OR REPLACE TRIGGER postings_stats_insert AFTER INSERT ON search.postings
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search.postings_inserted();
CREATE OR REPLACE TRIGGER postings_stats_delete AFTER DELETE ON search.postings
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION search.postings_deleted();
CREATE CONSTRAINT TRIGGER stats_pending_fold AFTER INSERT ON search.stats_pending
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION search.fold_statistics();
CREATE OR REPLACE TRIGGER documents_cascade AFTER DELETE ON public.documents
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION search.documents_cascade();
