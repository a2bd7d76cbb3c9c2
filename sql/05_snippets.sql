-- Snippets for analysts' SQL (the API builds its own, richer, in app/search/highlight.py).

-- A window of `width` characters of `body` around the first query term found (plain text; the API
-- adds highlighting). The body is lower-cased once, not once per term.
CREATE OR REPLACE FUNCTION search.snippet(body text, query_terms text[], width integer DEFAULT 160)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN x.len <= width THEN body
    ELSE (CASE WHEN x.start > 1 THEN '…' ELSE '' END)
         || substr(body, x.start, width)
         || (CASE WHEN x.start + width <= x.len THEN '…' ELSE '' END)
  END
  FROM (
    SELECT l.len, greatest(1, least(coalesce(min(p.pos), 1) - width / 4, l.len - width + 1)) AS start
    FROM (SELECT lower(body) AS lb, length(body) AS len) AS l
    LEFT JOIN LATERAL (
      SELECT strpos(l.lb, t) AS pos FROM unnest(coalesce(query_terms, '{}'::text[])) AS t
    ) AS p ON p.pos > 0
    GROUP BY l.len
  ) AS x
$$;
