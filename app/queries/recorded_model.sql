SELECT name, dim, sparse_dim FROM search.embedding_model
