-- The hybrid search's semantic leg alone, as search.fused ranks it (the vector filter, ef_search at least
-- the window), as arrays for search.fuse_legs, and whether it saw every match (read after the leg ran:
-- the aggregate consumes it first).
WITH s AS MATERIALIZED (
    SELECT * FROM search.semantic_ranks(
        %(embedding)s::vector, %(rank_window)s, search.vector_filter(%(filters)s::jsonb),
        greatest(%(ef_search)s, %(rank_window)s), %(exact_below)s)
)
SELECT array_agg(s.doc_id ORDER BY s.rank) AS sem_ids, array_agg(s.rank ORDER BY s.rank) AS sem_ranks,
       array_agg(s.score ORDER BY s.rank) AS sem_scores,
       array_agg(s.passage_start ORDER BY s.rank) AS sem_starts, search.legs_complete() AS complete
FROM s
