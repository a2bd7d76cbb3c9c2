-- BM25 statistics kept exact by statement-level triggers: N and the total lengths in
-- search.corpus_stats, df per term in search.term_stats, maintained from the documents and their postings
-- on every insert, update and delete, whoever writes (the API, ingest or an analyst's SQL).

-- Statistics triggers, now also keeping the total title length (for the title weight's avgdl), and
-- counting every write in `generation` (what cached answers are checked against: sql/18_answers.sql).
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

-- (0021) Nothing to do for a statement that deleted no postings (an upsert's delete of the postings
-- of documents it is about to write, when they are new), and the terms' rows reached through their
-- key, one probe per term deleted: never a scan of search.term_stats, whose size grows with the corpus
-- and whose frequent terms' rows every write updates.
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
CREATE OR REPLACE TRIGGER documents_cascade AFTER DELETE ON public.documents
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION search.documents_cascade();
