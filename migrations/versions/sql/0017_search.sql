-- hybrid-search 0017 (frozen copy): suggestions (readings, terms, prefixes; search.suggest_candidates,
-- search.refresh_suggestions, search.suggest), and search.facets in one pass, counting a curation's pinned documents.

CREATE TABLE search.suggest_readings (
    display  text PRIMARY KEY,                 -- a title or a query as typed (trimmed)
    key      text COLLATE "C" NOT NULL,        -- search.query_key of the folded text
    pinyin   text COLLATE "C" NOT NULL,        -- Han as toneless syllables, other text kept; no spaces
    initials text COLLATE "C" NOT NULL         -- Han as the syllables' first letters, other text kept
);

CREATE TABLE search.suggest_terms (
    key      text COLLATE "C" PRIMARY KEY,
    display  text NOT NULL,                    -- what is shown (a title's own text when it is one)
    pinyin   text COLLATE "C" NOT NULL,
    initials text COLLATE "C" NOT NULL,
    clients  integer NOT NULL,                 -- distinct clients who searched it (0: a title only)
    title    boolean NOT NULL,                 -- a document's title
    len      integer NOT NULL                  -- characters: shorter first among equals
);
CREATE INDEX suggest_terms_pinyin ON search.suggest_terms (pinyin);
CREATE INDEX suggest_terms_initials ON search.suggest_terms (initials);

CREATE TABLE search.suggest_prefixes (
    prefix  text COLLATE "C" NOT NULL,
    clients integer NOT NULL,
    len     integer NOT NULL,
    key     text COLLATE "C" NOT NULL,
    display text NOT NULL,
    title   boolean NOT NULL
);
CREATE INDEX suggest_prefixes_best ON search.suggest_prefixes (prefix, clients DESC, len, key);
COMMENT ON TABLE search.suggest_prefixes IS
    'the best completions of prefixes that complete to many suggestions (search.refresh_suggestions)';

-- What can be suggested: document titles (at most 64 characters), and queries of the last `days` days
-- that found results, each counted by distinct clients (at least min_clients). A search is not
-- counted when the same client's next search, within ten seconds, extends it (北京 -> 北京大学): a
-- box that searches as people type logs their keystrokes too.
CREATE OR REPLACE FUNCTION search.suggest_candidates(min_clients integer, days integer)
RETURNS TABLE (display text, clients integer, title boolean)
LANGUAGE sql STABLE AS $$
  WITH logged AS (
    SELECT btrim(l.query) AS query, search.query_key(l.query) AS key, l.client, l.hits, l.page_offset,
           lead(search.query_key(l.query)) OVER w AS next_key, lead(l.at) OVER w - l.at AS gap
    FROM search.query_log AS l
    WHERE l.at >= now() - make_interval(days => days) AND l.client IS NOT NULL
    WINDOW w AS (PARTITION BY l.client ORDER BY l.at, l.id)
  ), queries AS (
    SELECT mode() WITHIN GROUP (ORDER BY g.query) AS display, count(DISTINCT g.client)::integer AS clients
    FROM logged AS g
    WHERE g.hits > 0 AND g.page_offset = 0 AND g.key <> ''
      AND NOT (g.next_key IS NOT NULL AND g.next_key <> g.key AND starts_with(g.next_key, g.key)
               AND g.gap < interval '10 seconds')
    GROUP BY g.key
    HAVING count(DISTINCT g.client) >= min_clients
  )
  SELECT q.display, q.clients, false FROM queries AS q
  UNION ALL
  SELECT DISTINCT btrim(d.title), 0, true FROM public.documents AS d
  WHERE d.title ~ '\S' AND length(btrim(d.title)) <= 64
$$;

-- Rebuilds suggest_terms and suggest_prefixes from the candidates and their cached readings (the
-- service adds the readings of new candidates first). A prefix is kept in suggest_prefixes, with its
-- best `per_prefix` completions, when more than `many` suggestions start with it. Returns the
-- number of suggestions.
CREATE OR REPLACE FUNCTION search.refresh_suggestions(
    min_clients integer DEFAULT 3, days integer DEFAULT 30, many integer DEFAULT 50, per_prefix integer DEFAULT 10
) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  n integer;
BEGIN
  -- the caller may have read them already in this transaction (the service, for the new readings)
  CREATE TEMP TABLE IF NOT EXISTS suggest_candidates ON COMMIT DROP AS
  SELECT * FROM search.suggest_candidates(min_clients, days);

  DELETE FROM search.suggest_terms;
  INSERT INTO search.suggest_terms (key, display, pinyin, initials, clients, title, len)
  SELECT r.key, (array_agg(c.display ORDER BY c.title DESC, c.clients DESC, c.display))[1],
         min(r.pinyin), min(r.initials), max(c.clients), bool_or(c.title), length(r.key)
  FROM suggest_candidates AS c JOIN search.suggest_readings AS r ON r.display = c.display
  WHERE r.key <> ''
  GROUP BY r.key;
  GET DIAGNOSTICS n = ROW_COUNT;

  DELETE FROM search.suggest_prefixes;
  INSERT INTO search.suggest_prefixes (prefix, clients, len, key, display, title)
  SELECT p.prefix, p.clients, p.len, p.key, p.display, p.title
  FROM (
    SELECT f.prefix, t.*,
           row_number() OVER (PARTITION BY f.prefix ORDER BY t.clients DESC, t.len, t.key) AS rank,
           count(*) OVER (PARTITION BY f.prefix) AS completions
    FROM search.suggest_terms AS t
    CROSS JOIN LATERAL (
      SELECT DISTINCT left(form, i) COLLATE "C" AS prefix
      FROM unnest(ARRAY[t.key, t.pinyin, t.initials]) AS form,
           generate_series(1, least(length(form), 32)) AS i
      WHERE form <> ''
    ) AS f
  ) AS p
  WHERE p.completions > many AND p.rank <= per_prefix;

  DELETE FROM search.suggest_readings AS r
  WHERE NOT EXISTS (SELECT FROM suggest_candidates AS c WHERE c.display = r.display);
  DROP TABLE suggest_candidates;
  RETURN n;
END
$$;

-- Up to n suggestions completing a prefix (lowercased and spaced as search.query_key; the service
-- also folds traditional characters first): most clients first, then shorter. A Latin prefix also
-- completes pinyin and initials with its spaces and apostrophes dropped (bei jing -> beijing).
CREATE OR REPLACE FUNCTION search.suggest(prefix text, n integer DEFAULT 10)
RETURNS TABLE (suggestion text, clients integer, title boolean)
LANGUAGE sql STABLE AS $$
  WITH forms AS (
    SELECT DISTINCT f COLLATE "C" AS f
    FROM unnest(ARRAY[search.query_key(prefix),
                      regexp_replace(search.query_key(prefix), '[\s'']+', '', 'g')]) AS f
    WHERE f <> ''
  ), many AS (
    SELECT s.key, s.display, s.clients, s.len, s.title
    FROM forms JOIN search.suggest_prefixes AS s ON s.prefix = forms.f
  ), few AS (
    SELECT t.key, t.display, t.clients, t.len, t.title
    FROM forms CROSS JOIN LATERAL (
      SELECT t.* FROM search.suggest_terms AS t
      WHERE t.key >= forms.f AND t.key < forms.f || chr(1114111)
      UNION
      SELECT t.* FROM search.suggest_terms AS t
      WHERE t.pinyin >= forms.f AND t.pinyin < forms.f || chr(1114111)
      UNION
      SELECT t.* FROM search.suggest_terms AS t
      WHERE t.initials >= forms.f AND t.initials < forms.f || chr(1114111)
    ) AS t
    WHERE NOT EXISTS (SELECT FROM search.suggest_prefixes AS s WHERE s.prefix = forms.f)
  ), found AS (
    SELECT * FROM many UNION SELECT * FROM few
  )
  SELECT found.display, found.clients, found.title FROM found
  ORDER BY found.clients DESC, found.len, found.key
  LIMIT n
$$;

-- search.facets takes the curation in force (pinned and hidden ids): a new signature
DROP FUNCTION search.facets(text[], text[], jsonb, jsonb, jsonb, jsonb, integer, vector, integer, double precision, integer, integer, integer);
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
