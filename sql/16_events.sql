-- Clicks on search results (POST /events), written in batches beside the query log, and the views
-- analysts read them by. A click names the search that showed the document (query_log.search_id).

CREATE TABLE search.events (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        timestamptz NOT NULL,
    kind      text NOT NULL CHECK (kind IN ('click')),
    search_id uuid NOT NULL,                 -- the answer's search_id (search.query_log.search_id)
    doc_id    text NOT NULL,                 -- the document's external id
    position  integer NOT NULL CHECK (position >= 1),  -- its rank in the whole list, 1 = first
    client    text                           -- as in search.query_log
);
CREATE INDEX events_search_id ON search.events (search_id);
CREATE INDEX events_at ON search.events (at);
COMMENT ON TABLE search.events IS
    'Clicks on results (POST /events); only ones that name a logged search and the document it showed at that position are stored';

-- Stores the events whose search is logged and showed that document at that position; returns how
-- many. The API checks each event when it arrives; this is the guarantee, in the same statement.
CREATE OR REPLACE FUNCTION search.record_events(
    ats timestamptz[], kinds text[], search_ids uuid[], doc_ids text[], positions integer[], clients text[]
) RETURNS integer
LANGUAGE sql VOLATILE AS $$
  WITH stored AS (
    INSERT INTO search.events (at, kind, search_id, doc_id, position, client)
    SELECT e.at, e.kind, e.search_id, e.doc_id, e.position, e.client
    FROM unnest(ats, kinds, search_ids, doc_ids, positions, clients) WITH ORDINALITY
           AS e(at, kind, search_id, doc_id, position, client, n)
    JOIN search.query_log AS l ON l.search_id = e.search_id
    WHERE e.position > l.page_offset AND l.top_ids[e.position - l.page_offset] = e.doc_id
    ORDER BY e.n  -- stored in the order they came
    RETURNING 1
  )
  SELECT count(*)::integer FROM stored
$$;

-- Per query key: answers (every page), answers with at least one click, their share, clicks and the
-- mean clicked position (1 = first). Queries never clicked are in search.unclicked_queries.
CREATE OR REPLACE VIEW search.click_stats AS
WITH per_search AS (
  SELECT e.search_id, count(*) AS clicks, sum(e.position) AS position_sum
  FROM search.events AS e WHERE e.kind = 'click'
  GROUP BY e.search_id
)
SELECT search.query_key(l.query) AS query,
       count(*) AS searches,
       count(c.search_id) AS clicked_searches,
       round(count(c.search_id)::numeric / count(*), 3) AS click_through_rate,
       coalesce(sum(c.clicks), 0) AS clicks,
       round(sum(c.position_sum)::numeric / nullif(sum(c.clicks), 0), 2) AS mean_clicked_position,
       max(l.at) AS last_seen
FROM search.query_log AS l LEFT JOIN per_search AS c ON c.search_id = l.search_id
WHERE l.search_id IS NOT NULL
GROUP BY 1
ORDER BY searches DESC, query;

-- Queries that found results and were never clicked, most searched first (first pages, as
-- search.top_queries counts them): what people look for and do not find worth opening.
CREATE OR REPLACE VIEW search.unclicked_queries AS
WITH clicked AS (
  SELECT DISTINCT search.query_key(l.query) AS query
  FROM search.events AS e JOIN search.query_log AS l ON l.search_id = e.search_id
)
SELECT search.query_key(l.query) AS query,
       count(*) AS searches,
       round(avg(l.hits), 1) AS avg_hits,
       max(l.at) AS last_seen
FROM search.query_log AS l
WHERE l.search_id IS NOT NULL AND l.page_offset = 0 AND l.hits > 0
  AND NOT EXISTS (SELECT FROM clicked AS c WHERE c.query = search.query_key(l.query))
GROUP BY 1
ORDER BY searches DESC, query;
