SELECT n.nspname, c.relname
FROM pg_index AS i
JOIN pg_class AS c ON c.oid = i.indexrelid
JOIN pg_namespace AS n ON n.oid = c.relnamespace
JOIN pg_class AS t ON t.oid = i.indrelid
WHERE n.nspname IN ('public', 'search') AND t.relname <> 'alembic_version'
  AND (cardinality(%(names)s::text[]) = 0 OR c.relname = ANY(%(names)s) OR n.nspname || '.' || c.relname = ANY(%(names)s))
ORDER BY pg_relation_size(c.oid), n.nspname, c.relname
