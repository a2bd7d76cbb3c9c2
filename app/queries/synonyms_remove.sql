DELETE FROM search.synonyms WHERE id = ANY(%(ids)s)
