SELECT search.register_model(%(name)s, %(dim)s, %(sparse_dim)s, %(storage)s, %(m)s, %(ef_construction)s)
