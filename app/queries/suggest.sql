SELECT suggestion, clients, title FROM search.suggest(%(prefix)s, %(limit)s)
