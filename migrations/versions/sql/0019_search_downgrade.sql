-- hybrid-search 0019 undone: postings without metadata groups, search.facets as 0018 made it.

DROP FUNCTION search.facets(text[], text[], jsonb, jsonb, jsonb, jsonb, integer, vector, integer, double precision, integer, integer, integer, text[], text[], integer);
DROP FUNCTION search.facet_counts(jsonb[], double precision[], text[], jsonb, jsonb, jsonb, integer, boolean);
DROP FUNCTION search.facet_keyword_part(tsquery, jsonb, text[], integer, boolean, integer);
DROP FUNCTION search.facet_keyword_postings(text[], jsonb, bigint[], integer);
DROP TRIGGER documents_regroup ON public.documents;
DROP FUNCTION search.documents_regrouped();
DROP FUNCTION search.metadata_groups_of(bigint[]);
DROP INDEX public.documents_sample;
DROP FUNCTION search.sample_key(bigint);
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM search.deferred_indexes WHERE name = 'postings_impact') THEN
    UPDATE search.deferred_indexes
       SET definition = 'CREATE INDEX postings_impact ON search.postings USING btree (term, ((tf + tf_title)), ((dl + tl)), doc_id) INCLUDE (tf, tf_title, dl, tl)'
     WHERE name = 'postings_impact';
  ELSE
    DROP INDEX search.postings_impact;
  END IF;
END
$$;
ALTER TABLE search.postings DROP COLUMN grp;
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM search.deferred_indexes WHERE name = 'postings_impact') THEN
    CREATE INDEX postings_impact ON search.postings USING btree (term, ((tf + tf_title)), ((dl + tl)), doc_id) INCLUDE (tf, tf_title, dl, tl);
    COMMENT ON INDEX search.postings_impact IS
    'impact order: within a term and a tf (title counted twice), BM25 falls as the document grows';
  END IF;
END
$$;
DROP TABLE search.metadata_groups;

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
