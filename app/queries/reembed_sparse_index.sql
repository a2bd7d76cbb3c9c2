CREATE INDEX CONCURRENTLY IF NOT EXISTS documents_sparse_next_hnsw ON public.documents
USING hnsw (sparse_next sparsevec_ip_ops)
