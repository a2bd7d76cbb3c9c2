-- Metadata filters: containment (GIN index on documents.metadata) and conditions (exists, in,
-- numeric and date ranges), compiled by app/search/filters.py into one jsonpath where it can.

-- A timestamp from an ISO-8601 date string, or NULL (never an error) for anything else.
CREATE OR REPLACE FUNCTION search.as_timestamptz(value text)
RETURNS timestamptz LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  IF value IS NULL OR value !~ '^\d{4}-\d{2}-\d{2}' THEN
    RETURN NULL;
  END IF;
  RETURN value::timestamptz;
EXCEPTION WHEN others THEN
  RETURN NULL;
END
$$;

-- Does one filter condition hold for the value `v` found at its path?
--   {"op": "exists"}                                 the field is present and not null
--   {"op": "in", "values": [..]}                     v (or any element of an array v) is one of values
--   {"op": "range", "gte"|"gt"|"lte"|"lt": number}   numeric range
--   {"op": "range", "type": "date", "gte": "2024-01-01", ...}   date range on ISO-8601 strings
-- Equality is not here: it is passed as `contains` so the GIN index on metadata can serve it.
CREATE OR REPLACE FUNCTION search.condition_holds(v jsonb, c jsonb)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE c->>'op'
    WHEN 'exists' THEN v IS NOT NULL AND v <> 'null'::jsonb
    WHEN 'in' THEN CASE
      WHEN v IS NULL THEN false
      WHEN jsonb_typeof(v) = 'array' THEN EXISTS (
        SELECT 1 FROM jsonb_array_elements(v) AS e WHERE (c->'values') @> jsonb_build_array(e))
      ELSE (c->'values') @> jsonb_build_array(v)
    END
    WHEN 'range' THEN CASE
      WHEN c->>'type' = 'date' THEN CASE
        WHEN jsonb_typeof(v) = 'string' AND search.as_timestamptz(v #>> '{}') IS NOT NULL THEN
              (c->'gte' IS NULL OR search.as_timestamptz(v #>> '{}') >= search.as_timestamptz(c->>'gte'))
          AND (c->'gt'  IS NULL OR search.as_timestamptz(v #>> '{}') >  search.as_timestamptz(c->>'gt'))
          AND (c->'lte' IS NULL OR search.as_timestamptz(v #>> '{}') <= search.as_timestamptz(c->>'lte'))
          AND (c->'lt'  IS NULL OR search.as_timestamptz(v #>> '{}') <  search.as_timestamptz(c->>'lt'))
        ELSE false END
      ELSE CASE
        WHEN jsonb_typeof(v) = 'number' THEN
              (c->'gte' IS NULL OR v::numeric >= (c->>'gte')::numeric)
          AND (c->'gt'  IS NULL OR v::numeric >  (c->>'gt')::numeric)
          AND (c->'lte' IS NULL OR v::numeric <= (c->>'lte')::numeric)
          AND (c->'lt'  IS NULL OR v::numeric <  (c->>'lt')::numeric)
        ELSE false END
    END
    ELSE false
  END
$$;

-- Do all of a filter's conditions hold for a document's metadata? (NULL filter: yes.) One condition at a
-- time: search.conditions_hold calls this for what its jsonpath does not decide.
CREATE OR REPLACE FUNCTION search.conditions_hold_rowwise(metadata jsonb, filter jsonb)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT filter IS NULL OR NOT EXISTS (
    SELECT 1
    FROM jsonb_array_elements(coalesce(filter->'conditions', '[]'::jsonb)) AS c
    WHERE NOT search.condition_holds(
      jsonb_extract_path(metadata, VARIADIC ARRAY(SELECT jsonb_array_elements_text(c->'path'))), c)
  )
$$;
COMMENT ON FUNCTION search.conditions_hold_rowwise(jsonb, jsonb) IS
    'do all of a filter''s conditions hold for a document''s metadata? one condition at a time';

-- No sub-select here, so PostgreSQL inlines it into the search statements.
CREATE OR REPLACE FUNCTION search.conditions_hold(metadata jsonb, filter jsonb)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN filter IS NULL OR filter->'conditions' IS NULL THEN true
    WHEN NOT filter ? 'jsonpath' THEN search.conditions_hold_rowwise(metadata, filter)
    WHEN NOT coalesce(jsonb_path_match(metadata, (filter->>'jsonpath')::jsonpath, filter->'vars', true), false)
      THEN false
    WHEN filter ? 'rowwise' THEN search.conditions_hold_rowwise(metadata, filter)
    ELSE true
  END
$$;

-- The query syntax's part of a filter (`text`, tsquery text made by app/search/syntax.py from our own
-- tokens): quoted phrases every hit must hold, words in order at adjacent positions, and excluded
-- words and phrases. No sub-select, so it inlines into the legs' statements.
CREATE OR REPLACE FUNCTION search.text_holds(tsv tsvector, filter jsonb)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT filter IS NULL OR NOT filter ? 'text' OR tsv @@ (filter->>'text')::tsquery
$$;

-- The filter of the legs that read no terms (semantic, sparse, the pinyin match, facets' semantic
-- part): without the keyword leg's own parts (`synonyms`, the query's `pinyin`), NULL when nothing is left.
CREATE OR REPLACE FUNCTION search.vector_filter(filter jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT nullif(filter - 'synonyms' - 'pinyin', '{}')
$$;

-- The containment part of a filter ({} when none): `metadata @> search.filter_contains(f)` uses the GIN index.
CREATE OR REPLACE FUNCTION search.filter_contains(filter jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(filter->'contains', '{}'::jsonb)
$$;

-- Does the corpus, or the filter, leave at most `exact_below` documents? Then the vector legs search
-- exactly (no index): the choice depends on the filter and corpus alone, never on the page.
CREATE OR REPLACE FUNCTION search.exact_search_pays(filter jsonb, exact_below integer)
RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT CASE
    WHEN filter IS NULL THEN (SELECT n_docs <= exact_below FROM search.corpus_stats)
    ELSE (SELECT count(*) <= exact_below FROM (
            SELECT 1 FROM public.documents AS d
            WHERE d.metadata @> search.filter_contains(filter) AND search.conditions_hold(d.metadata, filter)
                AND search.text_holds(d.tsv, filter)
            LIMIT exact_below + 1) AS s)
  END
$$;
