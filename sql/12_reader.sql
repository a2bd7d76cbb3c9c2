-- Last: the grants cover every table and function defined before.

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
