-- hybrid-search 0015 (frozen copy): curations (pinned and hidden results per query), search.curation
-- and search.curate.

CREATE TABLE search.curations (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    query_key  text NOT NULL,                     -- search.query_key(the query)
    pinned     text[] NOT NULL DEFAULT '{}',      -- document ids, the first at the top
    hidden     text[] NOT NULL DEFAULT '{}',      -- document ids never shown for this query
    starts_at  timestamptz,                       -- NULL: from now on
    ends_at    timestamptz,                       -- NULL: until removed
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (cardinality(pinned) + cardinality(hidden) > 0),
    CHECK (starts_at IS NULL OR ends_at IS NULL OR starts_at < ends_at)
);
CREATE INDEX curations_query_key ON search.curations (query_key);
COMMENT ON TABLE search.curations IS
    'pinned and hidden results per query key, optionally between two times; applied after fusion in every mode';

-- The curation in force for a query now: pinned ids in order (the newest curation's first, each id
-- once) and hidden ids (NULLs when there is none).
CREATE OR REPLACE FUNCTION search.curation(q text, at timestamptz DEFAULT now())
RETURNS TABLE (pinned text[], hidden text[])
LANGUAGE sql STABLE AS $$
  WITH active AS (
    SELECT c.* FROM search.curations AS c
    WHERE c.query_key = search.query_key(q)
      AND (c.starts_at IS NULL OR c.starts_at <= at) AND (c.ends_at IS NULL OR at < c.ends_at)
  ), pins AS (
    SELECT p.id, min(a.id * -1000000 + p.n) AS ord
    FROM active AS a CROSS JOIN LATERAL unnest(a.pinned) WITH ORDINALITY AS p(id, n)
    GROUP BY p.id
  )
  SELECT (SELECT array_agg(pins.id ORDER BY pins.ord) FROM pins),
         (SELECT array_agg(DISTINCT h) FROM active AS a CROSS JOIN LATERAL unnest(a.hidden) AS h)
  WHERE EXISTS (SELECT 1 FROM active)
$$;

-- A query's results as a curation orders them: its pinned documents that exist and pass the filter
-- (metadata and query syntax), in order, then the `organic` ids (the search's own order) without the
-- pinned and hidden ones. `pos` numbers the whole list from 1.
CREATE OR REPLACE FUNCTION search.curate(q text, organic text[], filter jsonb DEFAULT NULL,
                                         at timestamptz DEFAULT now())
RETURNS TABLE (id text, pos integer, pinned boolean)
LANGUAGE sql STABLE AS $$
  WITH c AS (
    SELECT coalesce(cur.pinned, '{}') AS pinned, coalesce(cur.hidden, '{}') AS hidden
    FROM (SELECT 1) AS one LEFT JOIN search.curation(q, at) AS cur ON true
  ), pins AS (
    SELECT p.id, p.n FROM c CROSS JOIN LATERAL unnest(c.pinned) WITH ORDINALITY AS p(id, n)
    JOIN public.documents AS d ON d.external_id = p.id
    WHERE NOT p.id = ANY(c.hidden)
      AND (filter IS NULL OR (search.metadata_holds(d.metadata, filter) AND search.text_holds(d.tsv, filter)))
  ), rest AS (
    SELECT o.id, o.n FROM c CROSS JOIN LATERAL unnest(organic) WITH ORDINALITY AS o(id, n)
    WHERE NOT o.id = ANY(c.hidden) AND NOT EXISTS (SELECT 1 FROM pins WHERE pins.id = o.id)
  )
  SELECT pins.id, (row_number() OVER (ORDER BY pins.n))::integer, true FROM pins
  UNION ALL
  SELECT rest.id, ((SELECT count(*) FROM pins) + row_number() OVER (ORDER BY rest.n))::integer, false
  FROM rest
  ORDER BY 2
$$;
