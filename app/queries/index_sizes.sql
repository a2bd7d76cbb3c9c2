SELECT n.nspname || '.' || c.relname AS name, c.relkind = 'i' AS is_index,
       CASE WHEN c.relkind = 'i' THEN am.amname END AS method,
       CASE WHEN c.relkind = 'i' THEN t.relname END AS on_table,
       pg_relation_size(c.oid) AS bytes
FROM pg_class AS c
JOIN pg_namespace AS n ON n.oid = c.relnamespace
LEFT JOIN pg_am AS am ON am.oid = c.relam
LEFT JOIN pg_index AS i ON i.indexrelid = c.oid
LEFT JOIN pg_class AS t ON t.oid = i.indrelid
WHERE n.nspname IN ('public', 'search') AND c.relkind IN ('i', 'r')
ORDER BY bytes DESC, name
