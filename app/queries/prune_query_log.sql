DELETE FROM search.query_log WHERE at < now() - make_interval(days => %(days)s)
