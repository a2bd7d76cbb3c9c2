-- hybrid-search 0019 (frozen copy): postings carry their document's metadata group
-- (search.metadata_groups), so facet counts read the postings index alone; capped facet counts come
-- from a uniform sample (search.sample_key, documents_sample), scaled; search.facets takes sample_docs.

-- Each distinct metadata the documents carry, numbered for the postings (search.metadata_groups_of).
CREATE TABLE search.metadata_groups (
    id       integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key      uuid NOT NULL UNIQUE,
    metadata jsonb NOT NULL
);
COMMENT ON COLUMN search.metadata_groups.key IS 'md5 of the metadata''s text';

ALTER TABLE search.postings ADD COLUMN grp integer;

DROP FUNCTION search.facets(text[], text[], jsonb, jsonb, jsonb, jsonb, integer, vector, integer, double precision, integer, integer, integer, text[], text[]);

-- A document's place in the uniform sample facet counts read when a query matches too many documents
-- to read them all: a hash of its id in [0, 65536), so any fraction of the documents, spread evenly
-- over the table whatever its ingest order, is those below a bound (the index documents_sample).
CREATE OR REPLACE FUNCTION search.sample_key(id bigint)
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT hashint8(id) & 65535
$$;
CREATE INDEX IF NOT EXISTS documents_sample ON public.documents (search.sample_key(id));

-- Each document's metadata group, numbering the metadata not seen before: what its postings carry
-- (search.postings.grp), so facet counts read the postings index and not each document. Writers call
-- it before writing the postings; the trigger below when an UPDATE changes a document's metadata.
CREATE OR REPLACE FUNCTION search.metadata_groups_of(doc_ids bigint[])
RETURNS TABLE (doc_id bigint, grp integer) LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO search.metadata_groups (key, metadata)
  SELECT DISTINCT ON (1) md5(d.metadata::text)::uuid, d.metadata
  FROM public.documents AS d WHERE d.id = ANY(doc_ids)
  ON CONFLICT (key) DO NOTHING;
  RETURN QUERY
  SELECT d.id, g.id FROM public.documents AS d
  JOIN search.metadata_groups AS g ON g.key = md5(d.metadata::text)::uuid
  WHERE d.id = ANY(doc_ids);
END
$$;

-- An UPDATE that changes documents' metadata (an analyst's, or an upsert) moves their postings to the
-- new groups, in the same statement.
CREATE OR REPLACE FUNCTION search.documents_regrouped() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  moved bigint[] := (SELECT array_agg(n.id) FROM new_rows AS n JOIN old_rows AS o ON o.id = n.id
                     WHERE n.metadata IS DISTINCT FROM o.metadata);
BEGIN
  IF moved IS NOT NULL THEN
    UPDATE search.postings AS p SET grp = g.grp
    FROM search.metadata_groups_of(moved) AS g
    WHERE p.doc_id = g.doc_id AND p.grp <> g.grp;
  END IF;
  RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER documents_regroup AFTER UPDATE ON public.documents
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION search.documents_regrouped();

-- The keyword part of the matched set read from the postings index alone (no document visited): the
-- documents holding any of `terms` (the query's and their synonyms' forms), but `hidden_ids`, whose
-- sample_key is below `bound` (65536: all of them), by distinct metadata that `base`'s metadata
-- conditions hold. About 0.1-0.3 us a posting against 1-4 us a document visited (measured). Custom
-- plans: the terms and the bound are constants to the planner.
CREATE OR REPLACE FUNCTION search.facet_keyword_postings(
    terms text[], base jsonb, hidden_ids bigint[], bound integer)
RETURNS TABLE (metadata jsonb, n bigint)
LANGUAGE sql STABLE SET plan_cache_mode = force_custom_plan AS $$
  SELECT g.metadata, m.n
  FROM (
    SELECT d.grp, count(*) AS n
    FROM (
      SELECT p.doc_id, min(p.grp) AS grp FROM search.postings AS p
      WHERE p.term = ANY(terms) AND (bound >= 65536 OR search.sample_key(p.doc_id) < bound)
        AND p.doc_id <> ALL(coalesce(hidden_ids, '{}'))
      GROUP BY p.doc_id
    ) AS d
    GROUP BY d.grp
  ) AS m
  JOIN search.metadata_groups AS g ON g.id = m.grp
  WHERE search.metadata_holds(g.metadata, base)
$$;

-- The keyword part of the matched set by distinct metadata: the documents holding a query term (or its
-- pinyin) under `base`, but the `hidden` ones, whose sample_key is below `bound` (65536: all of them),
-- at most `max_docs` (NULL: no limit). `dense` checks the terms on each document the sample's index
-- gives instead of reading the GIN index: cheaper when the terms are in a large share of the documents
-- (the GIN index would read all their postings). Custom plans: the tsquery, the bound and `dense` are
-- constants to the planner.
CREATE OR REPLACE FUNCTION search.facet_keyword_part(
    matching tsquery, base jsonb, hidden text[], bound integer, dense boolean, max_docs integer)
RETURNS TABLE (metadata jsonb, n bigint)
LANGUAGE sql STABLE SET plan_cache_mode = force_custom_plan AS $$
  SELECT k.metadata, count(*)
  FROM (
    SELECT d.metadata FROM public.documents AS d
    WHERE (CASE WHEN dense THEN coalesce(d.tsv @@ matching, false) ELSE d.tsv @@ matching END
           OR (base ? 'pinyin' AND d.pinyin @@ (base->>'pinyin')::tsquery))
      AND (base IS NULL OR (search.metadata_holds(d.metadata, base) AND search.text_holds(d.tsv, base)))
      AND NOT d.external_id = ANY(coalesce(hidden, '{}'))
      AND (bound >= 65536 OR search.sample_key(d.id) < bound)
    LIMIT max_docs
  ) AS k
  GROUP BY 1
$$;

-- The total (field NULL) and each field's top `facet_size` values (every bucket of a ranged field, in
-- order) over matched documents given by distinct metadata (`metadata`, each standing for `n`
-- documents), each field's own filter in `field_filters`; `estimated` is `capped` on every row. A value is a
-- string, number or boolean, each element of an array counting; with `ranges`, a number's bucket.
-- Filters and fields are read once per distinct metadata, not once per document. Generic plans: it
-- works on a few hundred rows, and planning it for each call cost more than running it.
CREATE OR REPLACE FUNCTION search.facet_counts(
    metadata jsonb[], n double precision[], fields text[], filter jsonb, field_filters jsonb,
    ranges jsonb, facet_size integer, estimated boolean)
RETURNS TABLE (field text, value jsonb, count bigint, capped boolean)
LANGUAGE sql STABLE SET plan_cache_mode = force_generic_plan AS $$
  WITH docs AS (
    SELECT m.metadata, sum(m.n) AS n FROM unnest(metadata, n) AS m(metadata, n) GROUP BY 1
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
           sum(c.n) AS n
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
           round(sum(g.n))::bigint AS count
    FROM flat AS g
    WHERE NOT coalesce(ranges ? g.field, false) OR jsonb_typeof(g.e) = 'number'
    GROUP BY 1, 2
  ), ranked AS (
    SELECT c.*, row_number() OVER (
             PARTITION BY c.field
             ORDER BY CASE WHEN coalesce(ranges ? c.field, false) THEN 0 ELSE -c.count END,
                      (c.value->>'gte')::numeric NULLS FIRST, c.value) AS n
    FROM counted AS c
  )
  SELECT NULL::text, NULL::jsonb, coalesce((SELECT round(g.n)::bigint FROM grouped AS g WHERE g.field IS NULL), 0),
         estimated
  UNION ALL
  (SELECT r.field, r.value, r.count, estimated FROM ranked AS r
   WHERE r.n <= facet_size OR coalesce(ranges ? r.field, false)
   ORDER BY array_position(fields, r.field), r.n)
$$;

-- The total and each field's top values (search.facet_counts) over the documents the query matches;
-- a curation's `pinned` documents are counted and its `hidden` ones not, as the answer lists them.
-- The keyword part is counted exactly when the query's words (with their synonyms' forms) are in at
-- most `max_docs` documents in all (the sum of their dfs), read from the postings index; with phrases,
-- exclusions or pinyin in the filter, whose documents must be read, when at most `max_docs` documents
-- match. Beyond, it is counted over a uniform sample of about `sample_docs` of the matching documents,
-- each counting for the documents it stands for, and `capped` is set: the total and counts are then
-- estimates, rounded (as Elasticsearch's random_sampler aggregation, Algolia's non-exhaustive
-- counts); unless the sample shows the filter's conditions leave at most `max_docs`, which are then
-- read whole.
CREATE OR REPLACE FUNCTION search.facets(
    query_terms text[], fields text[], filter jsonb DEFAULT NULL, base jsonb DEFAULT NULL,
    field_filters jsonb DEFAULT NULL, ranges jsonb DEFAULT NULL, facet_size integer DEFAULT 10,
    query_embedding vector DEFAULT NULL, semantic_window integer DEFAULT 100,
    semantic_floor double precision DEFAULT 0.5, max_docs integer DEFAULT 10000,
    ef_search integer DEFAULT 100, exact_below integer DEFAULT 2000,
    pinned text[] DEFAULT NULL, hidden text[] DEFAULT NULL, sample_docs integer DEFAULT 1000)
RETURNS TABLE (field text, value jsonb, count bigint, capped boolean)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
DECLARE
  whole constant integer := 65536;
  matching tsquery := search.terms_query(query_terms, base, ' | ')::tsquery;
  -- the postings hold what the count needs unless the filter has phrases, exclusions or pinyin
  by_postings boolean := NOT coalesce(base ?| ARRAY['text', 'pinyin'], false);
  filtered boolean := coalesce(base - 'synonyms' <> '{}'::jsonb, false);  -- a condition that can narrow
  forms text[];  -- the query's terms and their synonyms' forms
  postings bigint;  -- their dfs' sum
  estimate double precision;  -- documents holding one of them, if they occurred independently
  dense boolean;  -- in more than half the documents (see search.facet_keyword_part)
  hidden_ids bigint[] := (SELECT array_agg(d.id) FROM public.documents AS d WHERE d.external_id = ANY(hidden));
  sample integer := least(sample_docs, max_docs);
  bound integer := whole;  -- the keyword part read: the documents whose sample_key is below it
  kw_meta jsonb[];
  kw_n bigint[];
  kw_read bigint;
  other_meta jsonb[];
BEGIN
  -- from the exact dfs, before anything is read (statements, not expressions: their plans are kept)
  SELECT array_agg(DISTINCT f.form) INTO forms
  FROM unnest(query_terms) AS q(term)
  CROSS JOIN LATERAL (SELECT q.term
                      UNION SELECT jsonb_array_elements_text(coalesce(base->'synonyms'->q.term, '[]'))) AS f(form)
  WHERE q.term <> '';
  SELECT e.postings, e.n, e.n > c.n_docs / 2.0 INTO postings, estimate, dense
  FROM search.corpus_stats AS c
  CROSS JOIN LATERAL (
    SELECT coalesce(sum(t.df), 0),
           coalesce(c.n_docs * (1 - exp(sum(ln(greatest(1 - t.df::double precision / c.n_docs, 1e-12))))), 0)
    FROM search.term_stats AS t WHERE t.term = ANY(forms) AND c.n_docs > 0) AS e(postings, n);
  IF by_postings AND postings <= max_docs THEN  -- few enough postings: all of them
    SELECT array_agg(k.metadata), array_agg(k.n) INTO kw_meta, kw_n
    FROM search.facet_keyword_postings(forms, base, hidden_ids, whole) AS k;
  ELSE
    IF by_postings OR estimate > max_docs THEN  -- likely too many: a sample first
      bound := least(whole, ceil(whole * sample / greatest(estimate, max_docs + 1))::integer);
      IF by_postings AND NOT dense THEN
        SELECT array_agg(k.metadata), array_agg(k.n), coalesce(sum(k.n), 0) INTO kw_meta, kw_n, kw_read
        FROM search.facet_keyword_postings(forms, base, hidden_ids, bound) AS k;
      ELSE
        SELECT array_agg(k.metadata), array_agg(k.n), coalesce(sum(k.n), 0) INTO kw_meta, kw_n, kw_read
        FROM search.facet_keyword_part(matching, base, hidden, bound, dense, NULL) AS k;
      END IF;
      IF filtered AND kw_read::double precision * whole / bound <= max_docs THEN
        bound := whole;  -- the filter leaves few enough to read them all
      END IF;
    END IF;
    IF bound = whole THEN
      SELECT array_agg(k.metadata), array_agg(k.n), coalesce(sum(k.n), 0) INTO kw_meta, kw_n, kw_read
      FROM search.facet_keyword_part(matching, base, hidden, whole, false, max_docs + 1) AS k;
      IF kw_read > max_docs THEN  -- more than the estimate said: a sample after all
        bound := least(whole, ceil(whole * sample / greatest(estimate, kw_read))::integer);
        SELECT array_agg(k.metadata), array_agg(k.n), coalesce(sum(k.n), 0) INTO kw_meta, kw_n, kw_read
        FROM search.facet_keyword_part(matching, base, hidden, bound, dense, NULL) AS k;
      END IF;
    END IF;
  END IF;
  SELECT array_agg(o.metadata) INTO other_meta
  FROM (
    -- the semantic part not already in the keyword part (the same condition, on these few documents)
    SELECT d.metadata
    FROM search.semantic_ranks(query_embedding, semantic_window, search.vector_filter(base),
                               greatest(ef_search, semantic_window), exact_below) AS s
    JOIN public.documents AS d ON d.id = s.doc_id
    WHERE query_embedding IS NOT NULL AND s.score >= semantic_floor
      AND NOT d.external_id = ANY(coalesce(hidden, '{}') || coalesce(pinned, '{}'))
      AND NOT coalesce(
        (d.tsv @@ matching OR (base ? 'pinyin' AND d.pinyin @@ (base->>'pinyin')::tsquery))
        AND (base IS NULL OR (search.metadata_holds(d.metadata, base) AND search.text_holds(d.tsv, base))),
        false)
    UNION ALL
    -- pinned documents (a curation) under the filter that the query does not match: listed, so counted
    SELECT d.metadata FROM public.documents AS d
    WHERE d.external_id = ANY(pinned) AND NOT d.external_id = ANY(coalesce(hidden, '{}'))
      AND (base IS NULL OR (search.metadata_holds(d.metadata, base) AND search.text_holds(d.tsv, base)))
      AND NOT coalesce(d.tsv @@ matching OR (base ? 'pinyin' AND d.pinyin @@ (base->>'pinyin')::tsquery),
                       false)
  ) AS o;
  -- a sampled document counts for whole / bound documents
  RETURN QUERY
  SELECT * FROM search.facet_counts(
    coalesce(kw_meta, '{}') || coalesce(other_meta, '{}'),
    coalesce((SELECT array_agg(x * whole::double precision / bound) FROM unnest(kw_n) AS x), '{}')
      || array_fill(1::double precision, ARRAY[coalesce(cardinality(other_meta), 0)]),
    fields, filter, field_filters, ranges, facet_size, bound < whole);
END
$$;

-- the stored postings get their documents' groups
UPDATE search.postings AS p SET grp = g.grp
FROM search.metadata_groups_of((SELECT array_agg(d.id) FROM public.documents AS d)) AS g
WHERE p.doc_id = g.doc_id;
DELETE FROM search.postings WHERE grp IS NULL;  -- of no document (the cascade leaves none)
ALTER TABLE search.postings ALTER COLUMN grp SET NOT NULL;
COMMENT ON COLUMN search.postings.grp IS
    'the document''s metadata (search.metadata_groups): facet counts read the postings index alone';
-- the impact index carries the group too (a bulk load's deferred definition is updated instead)
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM search.deferred_indexes WHERE name = 'postings_impact') THEN
    UPDATE search.deferred_indexes
       SET definition = 'CREATE INDEX postings_impact ON search.postings USING btree (term, ((tf + tf_title)), ((dl + tl)), doc_id) INCLUDE (tf, tf_title, dl, tl, grp)'
     WHERE name = 'postings_impact';
  ELSE
    DROP INDEX search.postings_impact;
    CREATE INDEX postings_impact ON search.postings USING btree (term, ((tf + tf_title)), ((dl + tl)), doc_id) INCLUDE (tf, tf_title, dl, tl, grp);
    COMMENT ON INDEX search.postings_impact IS
    'impact order: within a term and a tf (title counted twice), BM25 falls as the document grows';
  END IF;
END
$$;
