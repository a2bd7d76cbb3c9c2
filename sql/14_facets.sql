-- Totals and facet counts over the documents a query matches (GET /search?facets=brand,type&total=true).
--
-- The matched set, under a filter (metadata conditions, the query syntax's phrases and exclusions):
-- * keyword: every document holding a query term or one of its synonyms (search.terms_query with
--   ' | '), or whose pinyin the query's pinyin matches;
-- * semantic: the documents of the semantic leg's top `semantic_window` whose similarity is at least
--   `semantic_floor`;
-- * hybrid: the union.
-- Counts are disjunctive, as shoppers expect: a field's own filter does not narrow that field's counts
-- (each field has its filter in `field_filters`, the request's filter without that field), every other
-- filter does. The candidates are read once, under `base` (the filter without any faceted field's
-- condition: the widest of them), and each count keeps the candidates its own filter holds; the
-- semantic leg's window is taken under `base` too. Past `max_docs` candidates the counts are over the
-- first `max_docs` read and `capped` says so (the total is then a lower bound).

-- Does a document pass a filter (its metadata conditions and its query-syntax `text` condition)?
CREATE OR REPLACE FUNCTION search.holds(metadata jsonb, tsv tsvector, filter jsonb)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT filter IS NULL
      OR (metadata @> search.filter_contains(filter) AND search.conditions_hold(metadata, filter)
          AND search.text_holds(tsv, filter))
$$;

-- A numeric value's bucket among ascending `bounds` ([100, 500]): {"lt": 100}, {"gte": 100, "lt": 500}
-- or {"gte": 500}, which is also the filter that selects it.
CREATE OR REPLACE FUNCTION search.range_bucket(x numeric, bounds jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object(
    'gte', (SELECT max(b::numeric) FROM jsonb_array_elements_text(bounds) AS b WHERE b::numeric <= x),
    'lt', (SELECT min(b::numeric) FROM jsonb_array_elements_text(bounds) AS b WHERE b::numeric > x)))
$$;

-- The values a document holds for a facet: the field's value, each element of an array, or with
-- `bounds` the bucket of a number (anything else counts nowhere).
CREATE OR REPLACE FUNCTION search.facet_values(v jsonb, bounds jsonb)
RETURNS SETOF jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN bounds IS NULL THEN e ELSE search.range_bucket(e::text::numeric, bounds) END
  FROM jsonb_array_elements(CASE WHEN jsonb_typeof(v) = 'array' THEN v ELSE jsonb_build_array(v) END) AS e
  WHERE v IS NOT NULL AND e <> 'null'::jsonb
    AND (bounds IS NULL OR jsonb_typeof(e) = 'number')
    AND (bounds IS NOT NULL OR jsonb_typeof(e) IN ('string', 'number', 'boolean'))
$$;

-- The total (field NULL) and each field's top `facet_size` values (every bucket of a ranged field,
-- in order), with `capped` on every row.
CREATE OR REPLACE FUNCTION search.facets(
    query_terms text[], fields text[], filter jsonb DEFAULT NULL, base jsonb DEFAULT NULL,
    field_filters jsonb DEFAULT NULL, ranges jsonb DEFAULT NULL, facet_size integer DEFAULT 10,
    query_embedding vector DEFAULT NULL, semantic_window integer DEFAULT 100,
    semantic_floor double precision DEFAULT 0.5, max_docs integer DEFAULT 20000,
    ef_search integer DEFAULT 100, exact_below integer DEFAULT 2000)
RETURNS TABLE (field text, value jsonb, count bigint, capped boolean)
LANGUAGE sql STABLE AS $$
  WITH matched AS (
    SELECT m.doc_id FROM (
      SELECT d.id AS doc_id FROM public.documents AS d
      WHERE (d.tsv @@ search.terms_query(query_terms, base, ' | ')::tsquery
             OR (base ? 'pinyin' AND d.pinyin @@ (base->>'pinyin')::tsquery))
        AND search.holds(d.metadata, d.tsv, base)
      UNION
      SELECT s.doc_id
      FROM search.semantic_ranks(query_embedding, semantic_window, nullif(base - 'synonyms' - 'pinyin', '{}'),
                                 greatest(ef_search, semantic_window), exact_below) AS s
      WHERE query_embedding IS NOT NULL AND s.score >= semantic_floor
    ) AS m
    LIMIT max_docs + 1
  ), cap AS (
    SELECT count(*) > max_docs AS capped FROM matched
  ), candidates AS (
    SELECT d.metadata, d.tsv FROM (SELECT doc_id FROM matched LIMIT max_docs) AS m
    JOIN public.documents AS d ON d.id = m.doc_id
  ), counted AS (
    SELECT f.field, v.value, count(*) AS count
    FROM unnest(fields) AS f(field)
    JOIN candidates AS c ON search.holds(c.metadata, c.tsv, field_filters->f.field)
    CROSS JOIN LATERAL search.facet_values(c.metadata #> string_to_array(f.field, '.'), ranges->f.field) AS v(value)
    WHERE v.value IS NOT NULL
    GROUP BY f.field, v.value
  ), ranked AS (
    SELECT c.*, row_number() OVER (
             PARTITION BY c.field
             ORDER BY CASE WHEN ranges ? c.field THEN 0 ELSE -c.count END,
                      (c.value->>'gte')::numeric NULLS FIRST, c.value) AS n
    FROM counted AS c
  )
  SELECT NULL::text, NULL::jsonb, (SELECT count(*) FROM candidates AS c WHERE search.holds(c.metadata, c.tsv, filter)),
         cap.capped
  FROM cap
  UNION ALL
  (SELECT r.field, r.value, r.count, cap.capped FROM ranked AS r CROSS JOIN cap
   WHERE r.n <= facet_size OR ranges ? r.field
   ORDER BY array_position(fields, r.field), r.n)
$$;
