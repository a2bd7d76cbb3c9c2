-- Answer versions: a service may keep whole answers (ANSWER_CACHE_SIZE) and give one again only while
-- search.answers_version() is what it was when the answer was made. The version is
-- search.corpus_stats.generation, which every statement writing documents (sql/02_statistics.sql),
-- synonyms, curations or the embedding model counts in the writer's own transaction (so no reader sees
-- a new version before the data it stands for), followed by the curations in force now that have a
-- start or end time (one starting or ending changes answers without any write).

-- (0024) Counted at commit with the transaction's other statistics (sql/02_statistics.sql).
CREATE OR REPLACE FUNCTION search.answers_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO search.stats_pending (generation) VALUES (1);
  RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER synonyms_answers_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON search.synonyms FOR EACH STATEMENT EXECUTE FUNCTION search.answers_changed();
CREATE OR REPLACE TRIGGER curations_answers_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON search.curations FOR EACH STATEMENT EXECUTE FUNCTION search.answers_changed();
CREATE OR REPLACE TRIGGER embedding_model_answers_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON search.embedding_model FOR EACH STATEMENT EXECUTE FUNCTION search.answers_changed();

CREATE OR REPLACE FUNCTION search.answers_version(at timestamptz DEFAULT now())
RETURNS text LANGUAGE sql STABLE AS $$
  SELECT s.generation::text || coalesce(':' || (
           SELECT string_agg(c.id::text, ',' ORDER BY c.id) FROM search.curations AS c
           WHERE (c.starts_at IS NOT NULL OR c.ends_at IS NOT NULL)
             AND (c.starts_at IS NULL OR c.starts_at <= at) AND (c.ends_at IS NULL OR at < c.ends_at)), '')
  FROM search.corpus_stats AS s
$$;
COMMENT ON FUNCTION search.answers_version(timestamptz) IS
    'changes with every write that can change a search''s answer, and when a timed curation starts or ends';
