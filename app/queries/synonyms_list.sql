SELECT id, rule, forms, targets FROM search.synonyms ORDER BY id
