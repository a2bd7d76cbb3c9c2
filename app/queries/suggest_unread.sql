SELECT DISTINCT c.display FROM suggest_candidates AS c
WHERE NOT EXISTS (SELECT FROM search.suggest_readings AS r WHERE r.display = c.display)
