SELECT c.relname, pg_relation_size(c.oid)
FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname IN ('public', 'search') AND c.relkind IN ('i', 'r')
ORDER BY 2 DESC
