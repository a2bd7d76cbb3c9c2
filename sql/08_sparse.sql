-- The learned sparse leg: bge-m3 lexical weights (sparsevec, HNSW on the inner product).

-- Documents by the inner product of their lexical weights with the query's (bge-m3's lexical matching
-- score; `<#>` is its negation, matching the HNSW index's sparsevec_ip_ops). Only documents sharing a
-- term with the query (score > 0) are ranked, as the keyword leg ranks only matching documents.
-- The same rules as search.semantic_ranks keep pages stable: ef_search fixed per call, iterative scans in
-- strict order, exact search when the corpus or the filter leaves at most `exact_below` documents.
-- If the index scan ends before max_rank documents and before the scores reach 0, although more
-- documents with weights pass the filter, `search.sparse_complete` is set to 'false'.
CREATE OR REPLACE FUNCTION search.sparse_ranks(
    query_sparse sparsevec, max_rank integer, filter jsonb DEFAULT NULL,
    ef_search integer DEFAULT 100, exact_below integer DEFAULT 2000)
RETURNS TABLE (doc_id bigint, rank integer, score double precision)
LANGUAGE plpgsql AS $$
DECLARE
  selective boolean := false;
  seqscan text;
  n integer := 0;
  seen integer := 0;
  reached_zero boolean := false;
  available bigint;
  rec record;
BEGIN
  PERFORM set_config('search.sparse_complete', 'true', true);
  IF query_sparse IS NULL OR max_rank IS NULL OR max_rank < 1 THEN
    RETURN;
  END IF;
  PERFORM set_config('hnsw.ef_search', least(greatest(ef_search, 1), 1000)::text, true);
  PERFORM set_config('hnsw.iterative_scan', 'strict_order', true);

  selective := search.exact_search_pays(filter, exact_below);

  IF selective THEN
    RETURN QUERY
      WITH c AS MATERIALIZED (
        SELECT d.id, -(d.sparse <#> query_sparse) AS ip
        FROM public.documents AS d
        WHERE d.sparse IS NOT NULL
          AND (filter IS NULL
               OR (d.metadata @> search.filter_contains(filter) AND search.conditions_hold(d.metadata, filter)
                AND search.text_holds(d.tsv, filter)))
      )
      SELECT c.id, (row_number() OVER (ORDER BY c.ip DESC, c.id))::integer, c.ip
      FROM c WHERE c.ip > 0 ORDER BY c.ip DESC, c.id LIMIT max_rank;
    RETURN;
  END IF;

  seqscan := current_setting('enable_seqscan');
  PERFORM set_config('enable_seqscan', 'off', true);
  FOR rec IN
    SELECT d.id, -(d.sparse <#> query_sparse) AS ip
    FROM public.documents AS d
    WHERE d.sparse IS NOT NULL
      AND (filter IS NULL
           OR (d.metadata @> search.filter_contains(filter) AND search.conditions_hold(d.metadata, filter)
                AND search.text_holds(d.tsv, filter)))
    ORDER BY d.sparse <#> query_sparse
  LOOP
    seen := seen + 1;
    IF rec.ip <= 0 THEN
      reached_zero := true;
      EXIT;
    END IF;
    n := n + 1;
    doc_id := rec.id;
    rank := n;
    score := rec.ip;
    RETURN NEXT;
    EXIT WHEN n >= max_rank;
  END LOOP;
  PERFORM set_config('enable_seqscan', seqscan, true);
  IF n < max_rank AND NOT reached_zero THEN
    SELECT count(*) INTO available FROM (
      SELECT 1 FROM public.documents AS d
      WHERE d.sparse IS NOT NULL
        AND (filter IS NULL OR (d.metadata @> search.filter_contains(filter)
                                AND search.conditions_hold(d.metadata, filter)
                AND search.text_holds(d.tsv, filter)))
      LIMIT seen + 1
    ) AS s;
    IF available > seen THEN
      PERFORM set_config('search.sparse_complete', 'false', true);
    END IF;
  END IF;
END
$$;

-- The learned sparse leg alone: documents by lexical matching score. (0021) STABLE, so that a statement
-- reading it has it inlined, as search.semantic.
CREATE OR REPLACE FUNCTION search.sparse(
    query_sparse sparsevec, result_limit integer DEFAULT 10, result_offset integer DEFAULT 0,
    query_terms text[] DEFAULT NULL, filter jsonb DEFAULT NULL, ef_search integer DEFAULT 100,
    snippet_width integer DEFAULT 160, exact_below integer DEFAULT 2000)
RETURNS SETOF search.hit LANGUAGE sql STABLE AS $$
  SELECT d.external_id, d.title, d.url,
         CASE WHEN snippet_width > 0 THEN search.snippet(d.body, query_terms, snippet_width) END, r.score,
         NULL::integer, NULL::float8, NULL::integer, NULL::float8, d.metadata, NULL::integer, r.rank, r.score,
         NULL::float8
  FROM search.sparse_ranks(query_sparse, result_offset + result_limit, filter, ef_search, exact_below) AS r
  JOIN public.documents AS d ON d.id = r.doc_id
  WHERE r.rank > result_offset
  ORDER BY r.rank
$$;
