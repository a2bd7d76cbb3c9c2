SELECT coalesce(current_setting('search.semantic_complete', true), 'true') = 'true'
