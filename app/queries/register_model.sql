SELECT search.register_model(%(name)s, %(dim)s)
