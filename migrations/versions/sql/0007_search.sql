-- hybrid-search 0007: what analysts get besides the search functions: the query log the API writes
-- (in batches, off the request path), views over it, and a read-only role to connect as.

CREATE TABLE IF NOT EXISTS search.query_log (
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
    degraded boolean NOT NULL DEFAULT false  -- a leg was unavailable (hybrid without its model)
);
CREATE INDEX IF NOT EXISTS query_log_at ON search.query_log (at);
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

-- The analysts' role: reads documents and search tables, calls the search functions, writes nothing;
-- its statements time out. It can log in without a password only where pg_hba trusts local
-- connections (the embedded server); elsewhere an admin gives it one (ALTER ROLE ... PASSWORD) or grants
-- it to people's own roles (GRANT hybrid_search_reader TO alice).
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hybrid_search_reader') THEN
    CREATE ROLE hybrid_search_reader LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
  END IF;
END
$$;
ALTER ROLE hybrid_search_reader SET statement_timeout = '30s';
ALTER ROLE hybrid_search_reader SET default_transaction_read_only = on;
GRANT USAGE ON SCHEMA public, search TO hybrid_search_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public, search TO hybrid_search_reader;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA search TO hybrid_search_reader;
-- tables and functions later revisions create, as the same migrating role
ALTER DEFAULT PRIVILEGES IN SCHEMA public, search GRANT SELECT ON TABLES TO hybrid_search_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA search GRANT EXECUTE ON FUNCTIONS TO hybrid_search_reader;

-- Similar items: the documents nearest a vector (a document's own, or a text's), by their best
-- passage, with cosine distance; `exclude_id` leaves out the document asked about.
CREATE OR REPLACE FUNCTION search.similar(
    query_embedding vector, result_limit integer DEFAULT 10, exclude_id text DEFAULT NULL,
    filter jsonb DEFAULT NULL, ef_search integer DEFAULT 100, exact_below integer DEFAULT 2000)
RETURNS TABLE (id text, title text, url text, metadata jsonb, distance double precision,
               rank integer, passage_start integer)
LANGUAGE sql STABLE AS $$
  SELECT d.external_id, d.title, d.url, d.metadata, 1 - r.score,
         (row_number() OVER (ORDER BY r.rank))::integer, r.passage_start
  FROM search.semantic_ranks(query_embedding, result_limit + 1, filter, ef_search, exact_below) AS r
  JOIN public.documents AS d ON d.id = r.doc_id
  WHERE exclude_id IS NULL OR d.external_id <> exclude_id
  ORDER BY r.rank
  LIMIT greatest(result_limit, 0)
$$;
