SELECT name, dim, sparse_dim, storage, hnsw_m, hnsw_ef_construction FROM search.embedding_model
