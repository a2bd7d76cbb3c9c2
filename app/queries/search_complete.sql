SELECT coalesce(nullif(current_setting('search.semantic_complete', true), ''), 'true') = 'true'
   AND coalesce(nullif(current_setting('search.sparse_complete', true), ''), 'true') = 'true' AS complete
