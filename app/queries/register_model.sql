SELECT search.register_model(%(name)s, %(dim)s, %(sparse_dim)s)
