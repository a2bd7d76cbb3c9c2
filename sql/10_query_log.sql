-- The query log the API writes (in batches, off the request path) and the views analysts read it by.

CREATE TABLE search.query_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL,                 -- when the search ran
    query text NOT NULL,                     -- as typed
    mode text NOT NULL,                      -- hybrid | keyword | semantic | sparse
    filters jsonb,                           -- the request's filters, as sent
    page_offset integer NOT NULL,
    page_limit integer NOT NULL,
    latency_ms real NOT NULL,                -- the service's time (tokenise, embed, database, snippets)
    hits integer NOT NULL,                   -- hits on the page returned
    top_ids text[] NOT NULL,                 -- their document ids (external ids), best first
    degraded boolean NOT NULL DEFAULT false, -- a leg was unavailable (hybrid without its model)
    search_id uuid,                          -- the answer's search_id, which clicks (search.events) name
    client text                              -- who searched: the page's X-Client-Id, else a hash of address and agent
);
CREATE INDEX query_log_at ON search.query_log (at);
CREATE UNIQUE INDEX query_log_search_id ON search.query_log (search_id);
COMMENT ON TABLE search.query_log IS
    'One row per search answered by the API (GET/POST /search), written in batches; QUERY_LOG=false turns it off, QUERY_LOG_DAYS bounds it';

-- The key queries are grouped by: trimmed, lowercased, inner spaces collapsed.
CREATE OR REPLACE FUNCTION search.query_key(q text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT regexp_replace(lower(btrim(q)), '\s+', ' ', 'g')
$$;

-- Most asked queries (first pages only, so paging does not count a query twice).
CREATE OR REPLACE VIEW search.top_queries AS
SELECT search.query_key(l.query) AS query,
       count(*) AS searches,
       round(avg(l.hits), 1) AS avg_hits,
       round(100.0 * avg((l.hits = 0)::int), 1) AS zero_result_pct,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY l.latency_ms)::numeric, 1) AS p50_ms,
       min(l.at) AS first_seen,
       max(l.at) AS last_seen
FROM search.query_log AS l
WHERE l.page_offset = 0
GROUP BY 1
ORDER BY searches DESC, query;

-- Queries that found nothing: the vocabulary the corpus lacks (or the analyzer misses).
CREATE OR REPLACE VIEW search.zero_result_queries AS
SELECT search.query_key(l.query) AS query,
       count(*) AS searches,
       array_agg(DISTINCT l.mode ORDER BY l.mode) AS modes,
       max(l.at) AS last_seen
FROM search.query_log AS l
WHERE l.hits = 0 AND l.page_offset = 0
GROUP BY 1
ORDER BY searches DESC, query;

-- Queries by their slowest answers (p95 over their searches); filter on p95_ms or last_seen.
CREATE OR REPLACE VIEW search.slow_queries AS
SELECT search.query_key(l.query) AS query,
       l.mode,
       count(*) AS searches,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY l.latency_ms)::numeric, 1) AS p50_ms,
       round(percentile_cont(0.95) WITHIN GROUP (ORDER BY l.latency_ms)::numeric, 1) AS p95_ms,
       round(max(l.latency_ms)::numeric, 1) AS max_ms,
       max(l.at) AS last_seen
FROM search.query_log AS l
GROUP BY 1, 2
ORDER BY p95_ms DESC, query, l.mode;
