-- hybrid-search 0018 (frozen copy): search.facets groups the matched documents by their whole metadata
-- before reading fields and filters, and reads the keyword part up to max_docs (no row numbers);
-- answer versions: search.corpus_stats.generation counted by every write, search.answers_version();
-- bulk loads: search.deferred_indexes, search.defer_indexes(), search.restore_indexes().

-- The total (field NULL) and each field's top `facet_size` values (every bucket of a ranged field, in
-- order), with `capped` on every row; a curation's `pinned` documents are counted and its `hidden`
-- ones not, as the answer lists them. A value is a string, number or boolean, each element of an array
-- counting; with `ranges`, a number's bucket. The matched documents are first grouped by their whole
-- metadata (a shop's documents share a few hundred distinct ones), and filters and fields are then
-- read once per distinct metadata, not once per document. Custom plans: with the query's terms known,
-- its tsquery is folded once and read from the GIN index (a generic plan computed it for every row).
CREATE OR REPLACE FUNCTION search.facets(
    query_terms text[], fields text[], filter jsonb DEFAULT NULL, base jsonb DEFAULT NULL,
    field_filters jsonb DEFAULT NULL, ranges jsonb DEFAULT NULL, facet_size integer DEFAULT 10,
    query_embedding vector DEFAULT NULL, semantic_window integer DEFAULT 100,
    semantic_floor double precision DEFAULT 0.5, max_docs integer DEFAULT 10000,
    ef_search integer DEFAULT 100, exact_below integer DEFAULT 2000,
    pinned text[] DEFAULT NULL, hidden text[] DEFAULT NULL)
RETURNS TABLE (field text, value jsonb, count bigint, capped boolean)
LANGUAGE sql STABLE SET plan_cache_mode = force_custom_plan AS $$
  WITH kw AS (
    SELECT d.metadata FROM public.documents AS d
    WHERE (d.tsv @@ search.terms_query(query_terms, base, ' | ')::tsquery
           OR (base ? 'pinyin' AND d.pinyin @@ (base->>'pinyin')::tsquery))
      AND (base IS NULL OR (search.metadata_holds(d.metadata, base) AND search.text_holds(d.tsv, base)))
      AND NOT d.external_id = ANY(coalesce(hidden, '{}'))
    LIMIT max_docs
  ), sem AS (
    -- the semantic part not already in the keyword part (the same condition, on these few documents)
    SELECT d.metadata
    FROM search.semantic_ranks(query_embedding, semantic_window, search.vector_filter(base),
                               greatest(ef_search, semantic_window), exact_below) AS s
    JOIN public.documents AS d ON d.id = s.doc_id
    WHERE query_embedding IS NOT NULL AND s.score >= semantic_floor
      AND NOT d.external_id = ANY(coalesce(hidden, '{}') || coalesce(pinned, '{}'))
      AND NOT coalesce(
        (d.tsv @@ search.terms_query(query_terms, base, ' | ')::tsquery
         OR (base ? 'pinyin' AND d.pinyin @@ (base->>'pinyin')::tsquery))
        AND (base IS NULL OR (search.metadata_holds(d.metadata, base) AND search.text_holds(d.tsv, base))),
        false)
  ), pin AS (
    -- pinned documents (a curation) under the filter that the query does not match: listed, so counted
    SELECT d.metadata FROM public.documents AS d
    WHERE d.external_id = ANY(pinned) AND NOT d.external_id = ANY(coalesce(hidden, '{}'))
      AND (base IS NULL OR (search.metadata_holds(d.metadata, base) AND search.text_holds(d.tsv, base)))
      AND NOT coalesce(
        d.tsv @@ search.terms_query(query_terms, base, ' | ')::tsquery
        OR (base ? 'pinyin' AND d.pinyin @@ (base->>'pinyin')::tsquery), false)
  ), docs AS (
    -- the matched documents by distinct metadata (and how many of them the keyword part read)
    SELECT m.metadata, count(*) AS n, count(*) FILTER (WHERE m.kw) AS kw_n
    FROM (SELECT kw.metadata, true AS kw FROM kw UNION ALL SELECT sem.metadata, false FROM sem
          UNION ALL SELECT pin.metadata, false FROM pin) AS m
    GROUP BY 1
  ), asked AS (
    -- each field with its own filter; the total as the field NULL under the whole filter
    SELECT f.field, field_filters->f.field AS own, strpos(f.field, '.') = 0 AS top
    FROM unnest(fields) AS f(field)
    UNION ALL SELECT NULL, filter, true
  ), grouped AS (
    -- each field's value (an array counted whole here) over the documents its own filter keeps
    SELECT a.field,
           CASE WHEN a.field IS NULL THEN NULL WHEN a.top THEN c.metadata -> a.field
                ELSE c.metadata #> string_to_array(a.field, '.') END AS v,
           sum(c.n)::bigint AS n
    FROM docs AS c CROSS JOIN asked AS a
    WHERE a.own IS NULL OR search.metadata_holds(c.metadata, a.own)
    GROUP BY 1, 2
  ), flat AS (
    -- then each array's elements
    SELECT g.field, g.v AS e, g.n FROM grouped AS g
    WHERE g.field IS NOT NULL AND jsonb_typeof(g.v) IN ('string', 'number', 'boolean')
    UNION ALL
    SELECT g.field, e, g.n FROM grouped AS g CROSS JOIN LATERAL jsonb_array_elements(g.v) AS e
    WHERE g.field IS NOT NULL AND jsonb_typeof(g.v) = 'array'
      AND jsonb_typeof(e) IN ('string', 'number', 'boolean')
  ), counted AS (
    SELECT g.field,
           CASE WHEN coalesce(ranges ? g.field, false)
                THEN search.range_bucket(g.e::text::numeric, ranges->g.field) ELSE g.e END AS value,
           sum(g.n)::bigint AS count
    FROM flat AS g
    WHERE NOT coalesce(ranges ? g.field, false) OR jsonb_typeof(g.e) = 'number'
    GROUP BY 1, 2
  ), ranked AS (
    SELECT c.*, row_number() OVER (
             PARTITION BY c.field
             ORDER BY CASE WHEN coalesce(ranges ? c.field, false) THEN 0 ELSE -c.count END,
                      (c.value->>'gte')::numeric NULLS FIRST, c.value) AS n
    FROM counted AS c
  ), cap AS (
    SELECT coalesce((SELECT g.n FROM grouped AS g WHERE g.field IS NULL), 0) AS total,
           (SELECT sum(docs.kw_n) FROM docs) >= max_docs AS capped
  )
  SELECT NULL::text, NULL::jsonb, cap.total, cap.capped FROM cap
  UNION ALL
  (SELECT r.field, r.value, r.count, cap.capped FROM ranked AS r CROSS JOIN cap
   WHERE r.n <= facet_size OR coalesce(ranges ? r.field, false)
   ORDER BY array_position(fields, r.field), r.n)
$$;

ALTER TABLE search.corpus_stats ADD COLUMN generation bigint NOT NULL DEFAULT 0;

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

CREATE OR REPLACE FUNCTION search.answers_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE search.corpus_stats SET generation = generation + 1;
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

CREATE TABLE search.deferred_indexes (
    name        text PRIMARY KEY,
    definition  text NOT NULL,
    deferred_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE search.deferred_indexes IS
    'indexes a bulk load dropped and has yet to build (search.restore_indexes)';

CREATE OR REPLACE FUNCTION search.defer_indexes() RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  idx record;
BEGIN
  FOR idx IN
    SELECT i.schemaname, i.indexname, i.indexdef FROM pg_indexes AS i
    WHERE (i.schemaname, i.indexname) IN (
      ('public', 'documents_tsv_gin'), ('public', 'documents_pinyin_gin'),
      ('public', 'documents_metadata_gin'), ('public', 'documents_sparse_hnsw'),
      ('search', 'passages_embedding_hnsw'), ('search', 'postings_impact'))
    ORDER BY i.indexname
  LOOP
    INSERT INTO search.deferred_indexes (name, definition) VALUES (idx.indexname, idx.indexdef)
    ON CONFLICT (name) DO NOTHING;
    EXECUTE format('DROP INDEX %I.%I', idx.schemaname, idx.indexname);
    RETURN NEXT idx.indexname;
  END LOOP;
END
$$;

-- Build the deferred indexes (`index_name`: that one), each forgotten once built.
CREATE OR REPLACE FUNCTION search.restore_indexes(index_name text DEFAULT NULL) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
  idx record;
BEGIN
  FOR idx IN
    SELECT d.name, d.definition FROM search.deferred_indexes AS d
    WHERE index_name IS NULL OR d.name = index_name ORDER BY d.name
  LOOP
    EXECUTE replace(idx.definition, 'CREATE INDEX ', 'CREATE INDEX IF NOT EXISTS ');
    DELETE FROM search.deferred_indexes WHERE name = idx.name;
    RETURN NEXT idx.name;
  END LOOP;
END
$$;
