-- hybrid-search 0017 undone: suggestions dropped, search.facets as 0014 made it.

DROP FUNCTION search.suggest(text, integer);
DROP FUNCTION search.refresh_suggestions(integer, integer, integer, integer);
DROP FUNCTION search.suggest_candidates(integer, integer);
DROP TABLE search.suggest_prefixes;
DROP TABLE search.suggest_terms;
DROP TABLE search.suggest_readings;

DROP FUNCTION search.facets(text[], text[], jsonb, jsonb, jsonb, jsonb, integer, vector, integer, double precision, integer, integer, integer, text[], text[]);
-- The total (field NULL) and each field's top `facet_size` values (every bucket of a ranged field, in
-- order), with `capped` on every row. A value is a string, number or boolean, each element of an array
-- counting; with `ranges`, a number's bucket. Custom plans: with the query's terms known, its tsquery
-- is folded once and read from the GIN index (a generic plan computed it for every row).
CREATE OR REPLACE FUNCTION search.facets(
    query_terms text[], fields text[], filter jsonb DEFAULT NULL, base jsonb DEFAULT NULL,
    field_filters jsonb DEFAULT NULL, ranges jsonb DEFAULT NULL, facet_size integer DEFAULT 10,
    query_embedding vector DEFAULT NULL, semantic_window integer DEFAULT 100,
    semantic_floor double precision DEFAULT 0.5, max_docs integer DEFAULT 10000,
    ef_search integer DEFAULT 100, exact_below integer DEFAULT 2000)
RETURNS TABLE (field text, value jsonb, count bigint, capped boolean)
LANGUAGE sql STABLE SET plan_cache_mode = force_custom_plan AS $$
  WITH kw AS (
    SELECT d.id, d.metadata FROM public.documents AS d
    WHERE (d.tsv @@ search.terms_query(query_terms, base, ' | ')::tsquery
           OR (base ? 'pinyin' AND d.pinyin @@ (base->>'pinyin')::tsquery))
      AND (base IS NULL OR (search.metadata_holds(d.metadata, base) AND search.text_holds(d.tsv, base)))
    LIMIT max_docs + 1
  ), sem AS (
    SELECT d.metadata
    FROM search.semantic_ranks(query_embedding, semantic_window, search.vector_filter(base),
                               greatest(ef_search, semantic_window), exact_below) AS s
    JOIN public.documents AS d ON d.id = s.doc_id
    WHERE query_embedding IS NOT NULL AND s.score >= semantic_floor
      AND NOT EXISTS (SELECT 1 FROM kw WHERE kw.id = s.doc_id)
  ), matched AS (
    SELECT kw.metadata FROM kw UNION ALL SELECT sem.metadata FROM sem
  ), cap AS (
    SELECT count(*) > max_docs AS capped FROM matched
  ), candidates AS (
    SELECT m.metadata FROM matched AS m LIMIT max_docs
  ), vals AS (
    SELECT f.field, c.metadata #> string_to_array(f.field, '.') AS v
    FROM unnest(fields) AS f(field)
    JOIN candidates AS c ON search.metadata_holds(c.metadata, field_filters->f.field)
  ), flat AS (
    SELECT vals.field, vals.v AS e FROM vals WHERE jsonb_typeof(vals.v) IN ('string', 'number', 'boolean')
    UNION ALL
    SELECT vals.field, e FROM vals CROSS JOIN LATERAL jsonb_array_elements(vals.v) AS e
    WHERE jsonb_typeof(vals.v) = 'array' AND jsonb_typeof(e) IN ('string', 'number', 'boolean')
  ), grouped AS (
    SELECT flat.field, flat.e, count(*) AS n FROM flat GROUP BY flat.field, flat.e
  ), counted AS (
    SELECT g.field,
           CASE WHEN coalesce(ranges ? g.field, false)
                THEN search.range_bucket(g.e::text::numeric, ranges->g.field) ELSE g.e END AS value,
           sum(g.n)::bigint AS count
    FROM grouped AS g
    WHERE NOT coalesce(ranges ? g.field, false) OR jsonb_typeof(g.e) = 'number'
    GROUP BY 1, 2
  ), ranked AS (
    SELECT c.*, row_number() OVER (
             PARTITION BY c.field
             ORDER BY CASE WHEN coalesce(ranges ? c.field, false) THEN 0 ELSE -c.count END,
                      (c.value->>'gte')::numeric NULLS FIRST, c.value) AS n
    FROM counted AS c
  )
  SELECT NULL::text, NULL::jsonb,
         (SELECT count(*) FROM candidates AS c WHERE search.metadata_holds(c.metadata, filter)), cap.capped
  FROM cap
  UNION ALL
  (SELECT r.field, r.value, r.count, cap.capped FROM ranked AS r CROSS JOIN cap
   WHERE r.n <= facet_size OR coalesce(ranges ? r.field, false)
   ORDER BY array_position(fields, r.field), r.n)
$$;
