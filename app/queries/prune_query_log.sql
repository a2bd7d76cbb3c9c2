WITH events AS (DELETE FROM search.events WHERE at < now() - make_interval(days => %(days)s))
DELETE FROM search.query_log WHERE at < now() - make_interval(days => %(days)s)
