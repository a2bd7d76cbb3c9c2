DELETE FROM search.curations WHERE id = ANY(%(ids)s)
