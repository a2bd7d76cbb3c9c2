SELECT name, dim FROM search.embedding_model
