-- A first page of search.hybrid (offset + limit within rank_window, no sparse leg) from its two legs
-- ranked apart (hybrid_keyword_leg.sql, hybrid_semantic_leg.sql): the same rows, in the same order, as
-- search_hybrid.sql, fused by the same function (search.fuse_legs) that search.hybrid's fusion calls. The
-- legs' arrays travel in binary (in text, a third of this statement's time). The page is cut after the
-- join: a document deleted since a leg ranked it leaves no gap.
SELECT d.external_id AS id, d.title, d.url, NULL::text AS snippet, f.fused_score AS score,
       f.keyword_rank, f.keyword_score, f.semantic_rank, f.semantic_score, d.metadata, f.passage_start,
       f.sparse_rank, f.sparse_score, f.pinyin_score, CASE WHEN %(with_bodies)s THEN d.body END AS body
FROM (
    SELECT l.*, row_number() OVER (ORDER BY l.fused_score DESC, l.doc_id) AS pos
    FROM search.fuse_legs(
        %(kw_ids)b::bigint[], %(kw_ranks)b::integer[], %(kw_scores)b::float8[], %(kw_pinyin)b::float8[],
        %(sem_ids)b::bigint[], %(sem_ranks)b::integer[], %(sem_scores)b::float8[], %(sem_starts)b::integer[],
        NULL, NULL, NULL, %(rrf_k)s, %(keyword_weight)s, %(semantic_weight)s, %(sparse_weight)s,
        %(fusion)s, %(min_score)s, true, false) AS l
    ORDER BY pos  -- read in this order: the join below stops at the page's last document
) AS f
JOIN public.documents AS d ON d.id = f.doc_id
WHERE f.pos > %(offset)s
ORDER BY f.pos
LIMIT %(limit)s
