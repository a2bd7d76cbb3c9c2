SELECT search.reembed_begin(%(name)s, %(dim)s, %(sparse_dim)s)
