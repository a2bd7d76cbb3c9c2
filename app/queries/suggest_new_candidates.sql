SELECT c.display FROM search.suggest_candidates(%(min_clients)s, %(days)s) AS c
WHERE NOT EXISTS (SELECT FROM search.suggest_readings AS r WHERE r.display = c.display)
GROUP BY c.display
