SELECT search.refresh_suggestions(%(min_clients)s, %(days)s)
