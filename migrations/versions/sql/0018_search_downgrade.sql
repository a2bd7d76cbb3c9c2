-- hybrid-search 0018 undone: search.facets as 0017 made it, no answer versions.

DROP FUNCTION search.restore_indexes(text);
DROP FUNCTION search.defer_indexes();
DROP TABLE search.deferred_indexes;
DROP FUNCTION search.answers_version(timestamptz);
DROP TRIGGER synonyms_answers_changed ON search.synonyms;
DROP TRIGGER curations_answers_changed ON search.curations;
DROP TRIGGER embedding_model_answers_changed ON search.embedding_model;
DROP FUNCTION search.answers_changed();

CREATE OR REPLACE FUNCTION search.documents_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE search.corpus_stats
     SET n_docs = n_docs + (SELECT count(*) FROM new_rows),
         total_len = total_len + (SELECT coalesce(sum(doc_len), 0) FROM new_rows),
         total_title_len = total_title_len + (SELECT coalesce(sum(title_len), 0) FROM new_rows);
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION search.documents_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE search.corpus_stats
     SET total_len = total_len + (SELECT coalesce(sum(doc_len), 0) FROM new_rows)
                               - (SELECT coalesce(sum(doc_len), 0) FROM old_rows),
         total_title_len = total_title_len + (SELECT coalesce(sum(title_len), 0) FROM new_rows)
                                           - (SELECT coalesce(sum(title_len), 0) FROM old_rows);
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION search.documents_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE search.corpus_stats
     SET n_docs = n_docs - (SELECT count(*) FROM old_rows),
         total_len = total_len - (SELECT coalesce(sum(doc_len), 0) FROM old_rows),
         total_title_len = total_title_len - (SELECT coalesce(sum(title_len), 0) FROM old_rows);
  RETURN NULL;
END
$$;

ALTER TABLE search.corpus_stats DROP COLUMN generation;

-- The total (field NULL) and each field's top `facet_size` values (every bucket of a ranged field, in
-- order), with `capped` on every row; a curation's `pinned` documents are counted and its `hidden`
-- ones not, as the answer lists them. A value is a string, number or boolean, each element of an array
-- counting; with `ranges`, a number's bucket. Custom plans: with the query's terms known, its tsquery
-- is folded once and read from the GIN index (a generic plan computed it for every row).
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
    -- numbered as read: past max_docs only counted (in the field '' below), to tell the counts capped
    SELECT d.metadata, row_number() OVER () AS n FROM public.documents AS d
    WHERE (d.tsv @@ search.terms_query(query_terms, base, ' | ')::tsquery
           OR (base ? 'pinyin' AND d.pinyin @@ (base->>'pinyin')::tsquery))
      AND (base IS NULL OR (search.metadata_holds(d.metadata, base) AND search.text_holds(d.tsv, base)))
      AND NOT d.external_id = ANY(coalesce(hidden, '{}'))
    LIMIT max_docs + 1
  ), sem AS (
    -- the semantic part not already in the keyword part (the same condition, on these few documents)
    SELECT d.metadata, 0::bigint AS n
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
    SELECT d.metadata, 0::bigint AS n FROM public.documents AS d
    WHERE d.external_id = ANY(pinned) AND NOT d.external_id = ANY(coalesce(hidden, '{}'))
      AND (base IS NULL OR (search.metadata_holds(d.metadata, base) AND search.text_holds(d.tsv, base)))
      AND NOT coalesce(
        d.tsv @@ search.terms_query(query_terms, base, ' | ')::tsquery
        OR (base ? 'pinyin' AND d.pinyin @@ (base->>'pinyin')::tsquery), false)
  ), matched AS (
    SELECT kw.metadata, kw.n FROM kw UNION ALL SELECT sem.metadata, sem.n FROM sem
    UNION ALL SELECT pin.metadata, pin.n FROM pin
  ), asked AS (
    -- each field with its own filter; the total as the field NULL under the whole filter; the field ''
    -- counts the keyword part's documents read (max_docs + 1: capped)
    SELECT f.field, field_filters->f.field AS own, strpos(f.field, '.') = 0 AS top
    FROM unnest(fields) AS f(field)
    UNION ALL SELECT NULL, filter, true
    UNION ALL SELECT '', NULL, true
  ), grouped AS (
    -- one pass over the matched documents: each field's value, an array counted whole here
    SELECT a.field,
           CASE WHEN a.field IS NULL OR a.field = '' THEN NULL WHEN a.top THEN c.metadata -> a.field
                ELSE c.metadata #> string_to_array(a.field, '.') END AS v,
           count(*) AS n
    FROM matched AS c CROSS JOIN asked AS a
    WHERE CASE WHEN a.field = '' THEN c.n > 0
               ELSE c.n <= max_docs AND (a.own IS NULL OR search.metadata_holds(c.metadata, a.own)) END
    GROUP BY 1, 2
  ), flat AS (
    -- then each array's elements, over the few distinct arrays
    SELECT g.field, g.v AS e, g.n FROM grouped AS g
    WHERE g.field <> '' AND jsonb_typeof(g.v) IN ('string', 'number', 'boolean')
    UNION ALL
    SELECT g.field, e, g.n FROM grouped AS g CROSS JOIN LATERAL jsonb_array_elements(g.v) AS e
    WHERE g.field <> '' AND jsonb_typeof(g.v) = 'array'
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
           coalesce((SELECT g.n FROM grouped AS g WHERE g.field = ''), 0) > max_docs AS capped
  )
  SELECT NULL::text, NULL::jsonb, cap.total, cap.capped FROM cap
  UNION ALL
  (SELECT r.field, r.value, r.count, cap.capped FROM ranked AS r CROSS JOIN cap
   WHERE r.n <= facet_size OR coalesce(ranges ? r.field, false)
   ORDER BY array_position(fields, r.field), r.n)
$$;
