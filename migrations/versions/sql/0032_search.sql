-- hybrid-search 0032 (frozen copy): search.semantic_ranks with a filter: its exact search planned for
-- the filter at hand (a phrase's documents found through the tsvector's index, not every document
-- joined to its passages), and the filter tested passage by passage along the index stream (OFFSET 0),
-- not as a hash of every matching document built first. Same results.

-- (0003: the same as 0002's, with a one-query fast path; 0022: the first page's passages returned as read.)
-- Nearest documents by cosine distance (`<=>`, matching the HNSW index's vector_cosine_ops), read from
-- their passages: a long document is embedded as overlapping passages, and its score is that of its
-- best passage (whose start, in characters of the body, is returned for the snippet).
-- Every page must be a slice of one list, so nothing here depends on max_rank except where to stop:
-- * ef_search is fixed per call, so the index returns one deterministic stream, and pgvector 0.8
--   iterative scans (strict order) keep reading it; documents are taken in the order their first
--   passage appears, until max_rank documents have passed the filter;
-- * a corpus, or a filter, of at most `exact_below` documents is answered by exact search (the
--   choice depends on the filter and corpus alone, never on the page);
-- * otherwise the HNSW index is used for every page (sequential scans are switched off for the
--   query, or the planner would sort exactly for large LIMITs and approximately for small ones).
-- If the index scan ends before max_rank documents although more match (a scan budget, see
-- hnsw.max_scan_tuples), `search.semantic_complete` (read with current_setting) is set to 'false':
-- the list is short, and says so.
CREATE OR REPLACE FUNCTION search.semantic_ranks(
    query_embedding vector, max_rank integer, filter jsonb DEFAULT NULL,
    ef_search integer DEFAULT 100, exact_below integer DEFAULT 2000)
RETURNS TABLE (doc_id bigint, rank integer, score double precision, passage_start integer)
-- (0022) generic plans: planned once per session, not at every call (~0.1 ms of a search)
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  selective boolean := false;
  seqscan text;
  seen bigint[] := '{}';
  n integer := 0;
  available bigint;
  rec record;
  fetch_n integer;
  streamed integer;
BEGIN
  PERFORM set_config('search.semantic_complete', 'true', true);
  IF query_embedding IS NULL OR max_rank IS NULL OR max_rank < 1 THEN
    RETURN;
  END IF;
  PERFORM set_config('hnsw.ef_search', least(greatest(ef_search, 1), 1000)::text, true);
  PERFORM set_config('hnsw.iterative_scan', 'strict_order', true);

  -- (0032) With a filter, every statement is planned for it: a generic plan, blind to the filter, read
  -- every document to count those it leaves (search.exact_search_pays: 40-170 ms at 157,814 documents
  -- where the filter's own index, the tsvector's for a phrase, finds them in a few) and joined every
  -- document to its passages for the exact search (~0.7 s). Not for conditions without their jsonpath
  -- (an analyst's own): planned for, their row-by-row check ran ~3x slower (9 s against 3 to count).
  IF filter IS NOT NULL AND (filter ? 'jsonpath' OR NOT filter ? 'conditions') THEN
    PERFORM set_config('plan_cache_mode', 'force_custom_plan', true);
  END IF;
  selective := search.exact_search_pays(filter, exact_below);

  IF selective THEN
    -- Exact search over the passages of the few matching documents (MATERIALIZED: no index).
    RETURN QUERY
      WITH c AS MATERIALIZED (
        SELECT p.doc_id AS id, p.start_char, p.embedding <=> query_embedding AS dist
        FROM search.passages AS p JOIN public.documents AS d ON d.id = p.doc_id
        WHERE filter IS NULL
           OR (d.metadata @> search.filter_contains(filter) AND search.conditions_hold(d.metadata, filter)
                AND search.text_holds(d.tsv, filter))
      ), best AS (
        SELECT DISTINCT ON (c.id) c.id, c.dist, c.start_char FROM c ORDER BY c.id, c.dist, c.start_char
      )
      SELECT best.id, (row_number() OVER (ORDER BY best.dist, best.id))::integer, 1 - best.dist,
             best.start_char
      FROM best ORDER BY best.dist, best.id LIMIT max_rank;
    RETURN;
  END IF;

  seqscan := current_setting('enable_seqscan');
  PERFORM set_config('enable_seqscan', 'off', true);
  -- (0032) A filter's EXISTS ends in OFFSET 0, which keeps it a test of each passage the index yields:
  -- without it the planner turned it into a hash of every matching document, built before the first
  -- passage (the whole documents table read for a filter most documents pass, ~0.35 s at 157,814).
  -- (0022) The first max_rank passages of the index stream, each document at its first (best) passage,
  -- returned as read: when they are max_rank documents (one passage each: the usual case) that is the
  -- answer, and nothing more is read (no passage beyond the page, no arrays). Otherwise the first
  -- max_rank + 16 passages give the documents after the n returned, and then the stream itself (below).
  FOREACH fetch_n IN ARRAY ARRAY[max_rank, max_rank + 16] LOOP
    RETURN QUERY
      WITH stream AS (
        SELECT p.doc_id AS id, p.start_char, p.embedding <=> query_embedding AS dist
        FROM search.passages AS p
        WHERE filter IS NULL OR EXISTS (
          SELECT 1 FROM public.documents AS d
          WHERE d.id = p.doc_id
            AND d.metadata @> search.filter_contains(filter) AND search.conditions_hold(d.metadata, filter)
                    AND search.text_holds(d.tsv, filter)
          OFFSET 0)  -- (0032) tested passage by passage as the index yields them (see below)
        ORDER BY p.embedding <=> query_embedding
        LIMIT fetch_n
      ), numbered AS (
        SELECT s.*, row_number() OVER () AS pos FROM stream AS s
      ), firsts AS (
        SELECT DISTINCT ON (x.id) x.id, x.start_char, x.dist, x.pos FROM numbered AS x ORDER BY x.id, x.pos
      )
      SELECT f.id, (row_number() OVER (ORDER BY f.pos))::integer, 1 - f.dist, f.start_char
      FROM firsts AS f ORDER BY f.pos OFFSET n LIMIT max_rank - n;
    GET DIAGNOSTICS streamed = ROW_COUNT;
    n := n + streamed;
    EXIT WHEN n >= max_rank;
  END LOOP;
  IF n < max_rank THEN
  -- The loop reads the index stream lazily (a cursor): it stops as soon as max_rank documents are in,
  -- passing over the n documents already returned.
  FOR rec IN
    SELECT p.doc_id AS id, p.start_char, p.embedding <=> query_embedding AS dist
    FROM search.passages AS p
    WHERE filter IS NULL OR EXISTS (
      SELECT 1 FROM public.documents AS d
      WHERE d.id = p.doc_id
        AND d.metadata @> search.filter_contains(filter) AND search.conditions_hold(d.metadata, filter)
                AND search.text_holds(d.tsv, filter)
      OFFSET 0)
    ORDER BY p.embedding <=> query_embedding
  LOOP
    CONTINUE WHEN rec.id = ANY(seen);
    seen := seen || rec.id;
    CONTINUE WHEN cardinality(seen) <= n;
    doc_id := rec.id;
    rank := cardinality(seen);
    score := 1 - rec.dist;
    passage_start := rec.start_char;
    RETURN NEXT;
    EXIT WHEN rank >= max_rank;
  END LOOP;
  n := greatest(n, cardinality(seen));
  END IF;
  PERFORM set_config('enable_seqscan', seqscan, true);
  IF n < max_rank THEN
    SELECT count(*) INTO available FROM (
      SELECT 1 FROM public.documents AS d
      WHERE EXISTS (SELECT 1 FROM search.passages AS p WHERE p.doc_id = d.id)
        AND (filter IS NULL OR (d.metadata @> search.filter_contains(filter)
                                AND search.conditions_hold(d.metadata, filter)
                AND search.text_holds(d.tsv, filter)))
      LIMIT max_rank
    ) AS s;
    IF available > n THEN
      PERFORM set_config('search.semantic_complete', 'false', true);
    END IF;
  END IF;
END
$$;
