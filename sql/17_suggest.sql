-- Suggestions while typing (GET /suggest): document titles and the popular queries that found results,
-- completed from a prefix of their text, their pinyin or their initials.
--
-- search.suggest_readings caches each candidate's reading (the service computes it: folded to
-- simplified, pinyin by pypinyin); search.refresh_suggestions rebuilds the two tables searches read:
-- suggest_terms (one row per suggestion) and suggest_prefixes (the best few completions of every
-- prefix that completes to many; a rarer prefix is answered by a range scan over suggest_terms).

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
