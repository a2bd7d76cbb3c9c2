-- hybrid-search 0034 (frozen copy): search.keyword_ranks_scan's candidates come from
-- search.scan_candidates, whose filter is a semi-join planned for the filter at hand (a phrase's
-- documents through the tsvector's index) instead of a per-posting EXISTS that hashed every matching
-- document's row first; and its theta carries 1e-9 of slack, so a document tied with the max_rank-th is
-- not dropped for rounding in the last bits.

-- (0034) The candidates of a step of search.keyword_ranks_scan: each document's partial score over the
-- postings of `terms` (`weights` aligned with them), of the documents `doc_filter` holds only. With a
-- filter, the documents come in as a semi-join, which the planner, planning for the filter at hand, may
-- drive from the filter's own index (a phrase's few documents through the tsvector's) or run beside the
-- postings; as a per-posting EXISTS it hashed every matching document's row first (the whole table for
-- a filter most documents pass). Without one, no document is read: two statements, since written as
-- `doc_filter IS NULL OR p.doc_id IN (...)` the semi-join would stay a per-posting test.
CREATE OR REPLACE FUNCTION search.scan_candidates(
    terms text[], weights double precision[], k1 double precision, b double precision,
    avgdl double precision, title_weight double precision, doc_filter jsonb)
RETURNS TABLE (id bigint, partial double precision)
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan AS $$
BEGIN
  IF doc_filter IS NULL THEN
    RETURN QUERY
      SELECT p.doc_id, sum(search.bm25_term(weights[array_position(terms, p.term)], p.tf, p.tf_title, p.dl,
                                            p.tl, k1, b, avgdl, title_weight))
      FROM search.postings AS p WHERE p.term = ANY(terms)
      GROUP BY p.doc_id;
    RETURN;
  END IF;
  RETURN QUERY
    SELECT p.doc_id, sum(search.bm25_term(weights[array_position(terms, p.term)], p.tf, p.tf_title, p.dl,
                                          p.tl, k1, b, avgdl, title_weight))
    FROM search.postings AS p
    WHERE p.term = ANY(terms)
      AND p.doc_id IN (
        SELECT d.id FROM public.documents AS d
        WHERE d.metadata @> search.filter_contains(doc_filter) AND search.conditions_hold(d.metadata, doc_filter)
          AND search.text_holds(d.tsv, doc_filter))
    GROUP BY p.doc_id;
END
$$;


CREATE OR REPLACE FUNCTION search.keyword_ranks_scan(
    query_terms text[], max_rank integer, k1 double precision DEFAULT 1.2, b double precision DEFAULT 0.75,
    filter jsonb DEFAULT NULL, title_weight double precision DEFAULT 2.0)
RETURNS TABLE (doc_id bigint, rank integer, score double precision)
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan AS $$
DECLARE
  n float8;
  avgdl float8;
  terms text[];
  weights float8[];
  i integer;
  rest float8;
  got bigint;
  first_try integer;
  dfs bigint[];
  -- (0033) the filter's conditions on documents: none when it only carries synonyms, so that no
  -- posting looks its document up (the planner hashed every document's row for `metadata @> '{}'`)
  doc_filter jsonb := nullif(filter - 'synonyms', '{}');
BEGIN
  IF max_rank IS NULL OR max_rank < 1 THEN
    RETURN;
  END IF;
  SELECT c.n_docs::float8,
         CASE WHEN c.n_docs > 0
              THEN greatest((c.total_len + (title_weight - 1) * c.total_title_len)::float8 / c.n_docs, 1e-9)
              ELSE 1 END
  INTO n, avgdl FROM search.corpus_stats AS c;
  -- Synonyms (the filter's `synonyms`, from search.synonym_groups): each query term's forms score as
  -- one term, as Lucene's SynonymQuery: their frequencies in a document summed, their df the largest
  -- of theirs; never as extra terms that would add to the score. Every posting of every form is read.
  IF filter ? 'synonyms' THEN
    RETURN QUERY
      WITH q AS (
        SELECT t AS term, count(*) AS qtf FROM unnest(query_terms) AS t WHERE t <> '' GROUP BY t
      ), g AS (
        SELECT q.term, q.qtf, coalesce(
                 (SELECT array_agg(x) FROM jsonb_array_elements_text(filter->'synonyms'->q.term) AS x),
                 ARRAY[q.term]) AS forms
        FROM q
      ), w AS (
        SELECT g.term, g.forms, g.qtf * ln(1 + (n - max(s.df) + 0.5) / (max(s.df) + 0.5)) AS weight
        FROM g JOIN search.term_stats AS s ON s.term = ANY(g.forms)
        GROUP BY g.term, g.qtf, g.forms
      ), per AS (
        SELECT p.doc_id, w.term, w.weight, sum(p.tf)::integer AS tf, sum(p.tf_title)::integer AS tf_title,
               max(p.dl) AS dl, max(p.tl) AS tl
        FROM w JOIN search.postings AS p ON p.term = ANY(w.forms)
        WHERE doc_filter IS NULL OR EXISTS (
          SELECT 1 FROM public.documents AS d WHERE d.id = p.doc_id
            AND d.metadata @> search.filter_contains(doc_filter) AND search.conditions_hold(d.metadata, doc_filter)
            AND search.text_holds(d.tsv, doc_filter))
        GROUP BY p.doc_id, w.term, w.weight
      ), scored AS (
        SELECT per.doc_id AS id,
               sum(search.bm25_term(per.weight, per.tf, per.tf_title, per.dl, per.tl, k1, b, avgdl,
                                    title_weight) ORDER BY per.term) AS s
        FROM per GROUP BY per.doc_id
      )
      SELECT sc.id, (row_number() OVER (ORDER BY sc.s DESC, sc.id))::integer, sc.s
      FROM scored AS sc
      ORDER BY sc.s DESC, sc.id
      LIMIT max_rank;
    RETURN;
  END IF;
  SELECT array_agg(w.term ORDER BY w.weight DESC, w.term), array_agg(w.weight ORDER BY w.weight DESC, w.term),
         array_agg(w.df ORDER BY w.weight DESC, w.term)
  INTO terms, weights, dfs
  FROM (
    SELECT q.term, q.qtf * ln(1 + (n - s.df + 0.5) / (s.df + 0.5)) AS weight, s.df
    FROM (SELECT t AS term, count(*) AS qtf FROM unnest(query_terms) AS t WHERE t <> '' GROUP BY t) AS q
    JOIN search.term_stats AS s ON s.term = q.term
  ) AS w;
  IF terms IS NULL THEN
    RETURN;
  END IF;

  -- theta <= the sum of the first i weights, and needs max_rank candidates, so the bound cannot hold
  -- before the first i terms outweigh the rest and hold max_rank postings: the first try is the
  -- shortest such prefix, then the next one; if neither bound holds, every term is scored (trying
  -- each prefix in turn costs more, in the queries where it fails, than it saves).
  first_try := (SELECT min(j) FROM generate_series(1, cardinality(terms)) AS j
                WHERE (SELECT sum(x) FROM unnest(dfs[1:j]) AS x) >= max_rank
                  AND (SELECT sum(x) FROM unnest(weights[1:j]) AS x)
                      > coalesce((SELECT sum(x) FROM unnest(weights[j + 1:]) AS x), 0));
  FOREACH i IN ARRAY ARRAY[least(first_try, cardinality(terms)), least(first_try + 1, cardinality(terms)),
                           cardinality(terms)] LOOP
    rest := coalesce((SELECT sum(x) FROM unnest(weights[i + 1:]) AS x), 0);
    -- One statement per step: the candidates' partial scores are computed once; when the bound does not
    -- hold yet (theta <= rest), it returns nothing and the next term joins the candidates' terms.
    RETURN QUERY
      WITH cand AS MATERIALIZED (  -- (0034) search.scan_candidates
        SELECT c.id, c.partial
        FROM search.scan_candidates(terms[1:i], weights[1:i], k1, b, avgdl, title_weight, doc_filter) AS c
      ), bound AS (  -- (0034) 1e-9 of slack, as search.keyword_ranks has: without it a document tied
        -- with the max_rank-th was dropped for its id-later twin (rounding in the last bits)
        SELECT CASE WHEN count(*) >= max_rank THEN min(t.partial) - 1e-9 END AS theta
        FROM (SELECT c.partial FROM cand AS c ORDER BY c.partial DESC LIMIT max_rank) AS t
      ), kept AS (
        SELECT c.id, c.partial + CASE WHEN rest > 0 THEN coalesce((
                 SELECT sum(search.bm25_term(weights[array_position(terms, p.term)], p.tf, p.tf_title, p.dl,
                                             p.tl, k1, b, avgdl, title_weight))
                 FROM search.postings AS p
                 WHERE p.term = ANY(terms[i + 1:]) AND p.doc_id = c.id), 0) ELSE 0 END AS bm25
        FROM cand AS c CROSS JOIN bound AS bd
        WHERE (rest = 0 OR bd.theta > rest) AND (bd.theta IS NULL OR c.partial + rest >= bd.theta)
      ), top AS (
        SELECT k.id FROM kept AS k
        WHERE k.bm25 >= coalesce((SELECT k2.bm25 FROM kept AS k2 ORDER BY k2.bm25 DESC OFFSET max_rank - 1 LIMIT 1),
                                 0) - 1e-9
      ), exact AS (  -- (0005) summed again in term order, as search.keyword_ranks sums
        SELECT p.doc_id AS id,
               sum(search.bm25_term(weights[array_position(terms, p.term)], p.tf, p.tf_title, p.dl, p.tl,
                                    k1, b, avgdl, title_weight) ORDER BY p.term) AS s
        FROM top JOIN search.postings AS p ON p.doc_id = top.id AND p.term = ANY(terms)
        GROUP BY p.doc_id
      )
      SELECT e.id, (row_number() OVER (ORDER BY e.s DESC, e.id))::integer, e.s
      FROM exact AS e
      ORDER BY e.s DESC, e.id
      LIMIT max_rank;
    GET DIAGNOSTICS got = ROW_COUNT;
    IF got > 0 OR rest = 0 THEN
      RETURN;
    END IF;
  END LOOP;
END
$$;
