-- hybrid-search 0022 downgrade (frozen copy): search.semantic_ranks as 0003 made it.

CREATE OR REPLACE FUNCTION search.semantic_ranks(
    query_embedding vector, max_rank integer, filter jsonb DEFAULT NULL,
    ef_search integer DEFAULT 100, exact_below integer DEFAULT 2000)
RETURNS TABLE (doc_id bigint, rank integer, score double precision, passage_start integer)
LANGUAGE plpgsql AS $$
DECLARE
  selective boolean := false;
  seqscan text;
  seen bigint[] := '{}';
  n integer := 0;
  available bigint;
  rec record;
  fetch_n integer := max_rank + 16;
  streamed integer;
  ids bigint[];
  dists double precision[];
  starts integer[];
BEGIN
  PERFORM set_config('search.semantic_complete', 'true', true);
  IF query_embedding IS NULL OR max_rank IS NULL OR max_rank < 1 THEN
    RETURN;
  END IF;
  PERFORM set_config('hnsw.ef_search', least(greatest(ef_search, 1), 1000)::text, true);
  PERFORM set_config('hnsw.iterative_scan', 'strict_order', true);

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
  -- Fast path: the first max_rank + 16 passages of the index stream in one query, each document at its
  -- first (best) passage, in stream order. When they hold max_rank documents, or the stream ends within
  -- them, this is exactly what reading the stream document by document gives (below), at a fraction
  -- of the cost.
  WITH stream AS (
    SELECT p.doc_id AS id, p.start_char, p.embedding <=> query_embedding AS dist
    FROM search.passages AS p
    WHERE filter IS NULL OR EXISTS (
      SELECT 1 FROM public.documents AS d
      WHERE d.id = p.doc_id
        AND d.metadata @> search.filter_contains(filter) AND search.conditions_hold(d.metadata, filter)
                AND search.text_holds(d.tsv, filter))
    ORDER BY p.embedding <=> query_embedding
    LIMIT fetch_n
  ), numbered AS (
    SELECT s.*, row_number() OVER () AS pos FROM stream AS s
  ), firsts AS (
    SELECT DISTINCT ON (x.id) x.id, x.start_char, x.dist, x.pos FROM numbered AS x ORDER BY x.id, x.pos
  ), kept AS (
    SELECT * FROM firsts ORDER BY firsts.pos LIMIT max_rank
  )
  SELECT (SELECT count(*) FROM numbered), array_agg(k.id ORDER BY k.pos), array_agg(k.dist ORDER BY k.pos),
         array_agg(k.start_char ORDER BY k.pos)
  INTO streamed, ids, dists, starts
  FROM kept AS k;
  IF coalesce(cardinality(ids), 0) >= max_rank OR streamed < fetch_n THEN
    PERFORM set_config('enable_seqscan', seqscan, true);
    n := coalesce(cardinality(ids), 0);
    RETURN QUERY
      SELECT u.id, u.ord::integer, 1 - u.dist, u.start_char
      FROM unnest(ids, dists, starts) WITH ORDINALITY AS u (id, dist, start_char, ord);
    IF n >= max_rank THEN
      RETURN;
    END IF;
  ELSE
  -- The loop reads the index stream lazily (a cursor): it stops as soon as max_rank documents are in.
  FOR rec IN
    SELECT p.doc_id AS id, p.start_char, p.embedding <=> query_embedding AS dist
    FROM search.passages AS p
    WHERE filter IS NULL OR EXISTS (
      SELECT 1 FROM public.documents AS d
      WHERE d.id = p.doc_id
        AND d.metadata @> search.filter_contains(filter) AND search.conditions_hold(d.metadata, filter)
                AND search.text_holds(d.tsv, filter))
    ORDER BY p.embedding <=> query_embedding
  LOOP
    CONTINUE WHEN rec.id = ANY(seen);
    seen := seen || rec.id;
    n := n + 1;
    doc_id := rec.id;
    rank := n;
    score := 1 - rec.dist;
    passage_start := rec.start_char;
    RETURN NEXT;
    EXIT WHEN n >= max_rank;
  END LOOP;
  PERFORM set_config('enable_seqscan', seqscan, true);
  END IF;
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
