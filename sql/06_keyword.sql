-- The keyword leg: exact Okapi BM25 (Lucene's formula) over the postings, in impact order.

-- One term's BM25 contribution to a document (Lucene's formula, with the BM25F-style title weight: a
-- title occurrence counts `title_weight` times in tf and in the lengths). Inlined by the planner.
CREATE OR REPLACE FUNCTION search.bm25_term(
    weight double precision, tf integer, tf_title integer, dl integer, tl integer,
    k1 double precision, b double precision, avgdl double precision, title_weight double precision)
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT weight * (tf + (title_weight - 1) * tf_title)
         / (tf + (title_weight - 1) * tf_title + k1 * (1 - b + b * (dl + (title_weight - 1) * tl) / avgdl))
$$;

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

-- (0005: 0003's search.keyword_ranks, renamed, its final scores summed in term order; it reads whole
-- posting lists.)
-- Okapi BM25 as Lucene (>= 8) computes it:
--   idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5))
--   score  = sum over query terms of idf(t) * tf / (tf + k1 * (1 - b + b * dl / avgdl))
-- N, df, dl and avgdl come from search.corpus_stats, search.term_stats and search.postings, which
-- triggers keep exact on every insert, update and delete. A repeated query term counts once per repeat.
-- Corpus statistics are global: a filter narrows the candidates, not N or df (as in Lucene).
--
-- MaxScore (Turtle & Flood 1995), exact: a term adds at most its weight qtf * idf (tf / (tf + K) < 1).
-- Terms are taken rarest (heaviest) first; after the first i, the documents containing none of them can
-- score at most the sum of the other terms' weights (`rest`). The max_rank-th best partial score over
-- the first i terms is a lower bound of the final max_rank-th score (`theta`), so once rest < theta no
-- other document can enter the top max_rank: only documents holding one of the first i terms (the rare,
-- short posting lists) are scored, and the common terms' postings are read only for those whose partial
-- score plus `rest` reaches theta. With one term, or when the bound does not hold, every posting is scored.
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

-- (0023) Documents `ids` scored in full over the query's `terms` (`weights` aligned with them), each
-- summed in term order so that equal documents tie exactly whichever way they were found, ranked by
-- score then id: the last step of search.keyword_ranks' every path that picks candidates. Each
-- document's postings are read through its key.
CREATE OR REPLACE FUNCTION search.bm25_ranked(
    ids bigint[], terms text[], weights double precision[], max_rank integer, k1 double precision,
    b double precision, avgdl double precision, title_weight double precision)
RETURNS TABLE (doc_id bigint, rank integer, score double precision)
LANGUAGE sql STABLE AS $$
  SELECT e.id, (row_number() OVER (ORDER BY e.s DESC, e.id))::integer, e.s
  FROM (
    SELECT u.id,
           (SELECT sum(search.bm25_term(weights[array_position(terms, p.term)], p.tf, p.tf_title, p.dl, p.tl,
                                        k1, b, avgdl, title_weight) ORDER BY p.term)
            FROM search.postings AS p WHERE p.doc_id = u.id AND p.term = ANY(terms)) AS s
    FROM unnest(ids) AS u(id)
  ) AS e
  ORDER BY e.s DESC, e.id
  LIMIT max_rank
$$;

-- The same BM25 top max_rank as search.keyword_ranks_scan (scores, order and ties), reading less:
-- 1. per query term, its weight (qtf * idf) and ub, the most it adds to any document (from the shortest
--    document of each tf group: one index probe per group);
-- 2. theta, a lower bound of the max_rank-th score: the max_rank-th best full score among each term's
--    s best postings (per tf group, the s shortest documents; since 0028, s per term for 2 * max_rank
--    seeds in all, at least 50, and at least 10 per term);
-- 3. lists read whole (F) or down to a cut (B): a document holding no F term reaches theta only if in
--    each B term t it scores at least cut[t] = theta - (the other B terms' ub), so one B term's postings
--    above its cut hold every such document: only that band is read (one range per tf group), the B
--    term whose cut is above its ub if there is one (nothing read), else the shortest list's (0031:
--    every B term's band was read). Terms move to F while some B term's cut would keep more than half
--    of its score range, the shortest list first (0023: the heaviest first read the longest lists of a
--    long query whole when a common term was repeated in it);
-- 4. candidates (every document read) get partial scores; when lists were read whole, the best
--    candidates by partial score, scored in full, raise theta first (0028; 0036: also when one list is,
--    from its best 200); then, MaxScore's way,
--    the B terms one at a time, heaviest first, are looked up for the candidates not yet seen in them,
--    dropping those whose partial score plus what their later terms could add stays below theta, which
--    rises to the max_rank-th best partial score (partial scores only grow); a candidate whose partial
--    score plus the most this term (below its cut) and the later ones could add stays below theta is
--    dropped before its lookup;
-- 5. the survivors' scores are summed again over all their postings in term order, as every path sums
--    (search.bm25_ranked).
-- theta and ub carry 1e-9 of slack: rounding never drops a document that ties.
-- With a filter, or a title weight other than 2 (the index's tf + tf_title and dl + tl), every posting
-- list is read (search.keyword_ranks_scan). So are short lists (0023): when the query's terms hold at most
-- 2,000 + 25 * max_rank postings in all (or the setting hybrid_search.keyword_scan_postings, when set), one
-- statement scoring every posting is faster than the steps above (their fixed cost, ~1 ms, is more than
-- reading that many postings; measured on 157,814 documents at max_rank 10 and 100), unless one list is
-- over 250 postings and the others hold at most 200 (hybrid_search.keyword_short_postings, when set): a
-- single term, or a rare one beside a common one, is then read as the short lists whole and the long
-- list's max_rank best, after step 1 (0.5-1 ms against 1.3-2 ms through the steps).
CREATE OR REPLACE FUNCTION search.keyword_ranks(
    query_terms text[], max_rank integer, k1 double precision DEFAULT 1.2, b double precision DEFAULT 0.75,
    filter jsonb DEFAULT NULL, title_weight double precision DEFAULT 2.0)
RETURNS TABLE (doc_id bigint, rank integer, score double precision)
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
-- Generic plans (planned once per session: planning is most of a short query's time), except for the
-- candidates' statement, whose best plan depends on the lists' lengths.
DECLARE
  n float8;
  avgdl float8;
  terms text[];
  weights float8[];
  ub float8[];
  dfs bigint[];
  gt integer[];
  gtf integer[];
  ghi integer[];
  theta float8;
  rest float8;
  kept_ids bigint[];
  kept_seen integer[];
  full_read integer[];
  cut_terms integer[];
  b_ub float8;
  b_bound float8;
  cut float8[];
  bound float8[];
  tj integer;
  bit integer;
  kept_partial float8[];
  postings bigint;
  others bigint;
  others_max bigint;
  longest integer;
  one_long boolean;
  ranged integer;
  seeds_per_term integer;
  sort_setting text;
  band_read boolean;
BEGIN
  IF max_rank IS NULL OR max_rank < 1 THEN
    RETURN;
  END IF;
  IF filter IS NOT NULL OR title_weight IS DISTINCT FROM 2.0 THEN
    RETURN QUERY SELECT * FROM search.keyword_ranks_scan(query_terms, max_rank, k1, b, filter, title_weight);
    RETURN;
  END IF;
  SELECT cs.n_docs::float8,
         CASE WHEN cs.n_docs > 0
              THEN greatest((cs.total_len + (title_weight - 1) * cs.total_title_len)::float8 / cs.n_docs, 1e-9)
              ELSE 1 END,
         st.postings, st.postings - st.longest
  INTO n, avgdl, postings, others
  FROM search.corpus_stats AS cs
  CROSS JOIN (SELECT sum(s.df) AS postings, max(s.df) AS longest
              FROM search.term_stats AS s WHERE s.term = ANY(query_terms)) AS st;
  others_max := coalesce(nullif(current_setting('hybrid_search.keyword_short_postings', true), '')::bigint, 200);
  one_long := b > 0 AND k1 > 0 AND others <= others_max;  -- (0023) below; (0037) known before step 1
  -- Short lists: every posting scored, in one statement (unless one list is long and the others short,
  -- which is read faster below).
  IF postings <= coalesce(nullif(current_setting('hybrid_search.keyword_scan_postings', true), '')::bigint,
                          2000 + 25 * max_rank)
     AND (others > others_max OR postings <= 250) THEN
    RETURN QUERY
      WITH w AS (
        SELECT q.term, q.qtf * ln(1 + (n - s.df + 0.5) / (s.df + 0.5)) AS weight
        FROM (SELECT t AS term, count(*) AS qtf FROM unnest(query_terms) AS t WHERE t <> '' GROUP BY t) AS q
        JOIN search.term_stats AS s ON s.term = q.term
      ), scored AS (
        SELECT p.doc_id AS id,
               sum(search.bm25_term(w.weight, p.tf, p.tf_title, p.dl, p.tl, k1, b, avgdl, title_weight)
                   ORDER BY p.term) AS s
        FROM w JOIN search.postings AS p ON p.term = w.term
        GROUP BY p.doc_id
      )
      SELECT sc.id, (row_number() OVER (ORDER BY sc.s DESC, sc.id))::integer, sc.s
      FROM scored AS sc ORDER BY sc.s DESC, sc.id LIMIT max_rank;
    RETURN;
  END IF;
  -- 1. Terms by ub (heaviest first), and their tf groups. (0037) For one long list beside short ones
  -- (below) only the long list's groups: the short lists are read whole there anyway, and reading
  -- them here for a bound that path does not use was a quarter of such a query's time.
  -- A list of up to 600 postings is grouped as it is read; a longer one's groups are found by skipping
  -- from one tf to the next through the impact index, two probes a group (0039: from 2,000 postings;
  -- the bench's long queries at max_rank 10, mean 14.6 -> 14.0 ms, mixed 1.02 -> 0.93).
  WITH w AS (
    SELECT q.term, q.qtf * ln(1 + (n - s.df + 0.5) / (s.df + 0.5)) AS weight, s.df
    FROM (SELECT t AS term, count(*) AS qtf FROM unnest(query_terms) AS t WHERE t <> '' GROUP BY t) AS q
    JOIN search.term_stats AS s ON s.term = q.term
  ), g AS (
    SELECT w.term, w.weight, w.df, x.tfw, x.mindl
    FROM w CROSS JOIN LATERAL (
      SELECT p.tf + p.tf_title AS tfw, min(p.dl + p.tl) AS mindl
      FROM search.postings AS p
      WHERE w.df <= 600 AND (NOT one_long OR w.df >= postings - others) AND p.term = w.term GROUP BY 1
      UNION ALL
      SELECT * FROM (
        WITH RECURSIVE r(tfw) AS (
          SELECT max(p.tf + p.tf_title) FROM search.postings AS p WHERE p.term = w.term
          UNION ALL
          SELECT (SELECT max(p.tf + p.tf_title) FROM search.postings AS p
                  WHERE p.term = w.term AND p.tf + p.tf_title < r.tfw)
          FROM r WHERE r.tfw IS NOT NULL)
        SELECT r.tfw, (SELECT min(p.dl + p.tl) FROM search.postings AS p
                       WHERE p.term = w.term AND p.tf + p.tf_title = r.tfw)
        FROM r WHERE r.tfw IS NOT NULL) AS big
      WHERE w.df > 600) AS x
  ), u AS (
    SELECT w.term, w.weight, w.df,
           coalesce(max(search.bm25_term(w.weight, g.tfw, 0, g.mindl, 0, k1, b, avgdl, 1)) + 1e-9, 0) AS ub
    FROM w LEFT JOIN g USING (term) WHERE one_long OR g.term IS NOT NULL GROUP BY 1, 2, 3
  ), o AS (
    SELECT u.*, row_number() OVER (ORDER BY u.ub DESC, u.term)::integer AS ti FROM u
  )
  SELECT (SELECT array_agg(o.term ORDER BY o.ti) FROM o), (SELECT array_agg(o.weight ORDER BY o.ti) FROM o),
         (SELECT array_agg(o.ub ORDER BY o.ti) FROM o), (SELECT array_agg(o.df ORDER BY o.ti) FROM o),
         (SELECT array_agg(o.ti ORDER BY o.ti, g.tfw) FROM g JOIN o USING (term)),
         (SELECT array_agg(g.tfw ORDER BY o.ti, g.tfw) FROM g JOIN o USING (term))
  INTO terms, weights, ub, dfs, gt, gtf;
  IF terms IS NULL THEN
    RETURN;
  END IF;
  -- (0023) One long list, the others short (at most 200 postings in all, or the setting
  -- hybrid_search.keyword_short_postings: a rare word beside a common one, or one word alone): a
  -- document holding none of the short lists' terms scores only in the long list's term, where its score
  -- falls with the document's length in each tf group; so the top max_rank are among the short lists'
  -- documents and the long list's max_rank best (each tf group's max_rank shortest, ties by id as the
  -- index orders them), scored in full.
  longest := (SELECT j FROM generate_series(1, cardinality(terms)) AS j ORDER BY dfs[j] DESC, j LIMIT 1);
  IF one_long THEN
    RETURN QUERY SELECT * FROM search.bm25_ranked(ARRAY(
      SELECT p.doc_id FROM search.postings AS p WHERE p.term = ANY(array_remove(terms, terms[longest]))
      UNION
      (SELECT z.doc_id FROM (
        SELECT p.doc_id,
               search.bm25_term(weights[longest], p.tf, p.tf_title, p.dl, p.tl, k1, b, avgdl, title_weight) AS s
        FROM (SELECT x.tfw FROM unnest(gt, gtf) AS x(ti, tfw) WHERE x.ti = longest) AS g
        CROSS JOIN LATERAL (
          SELECT p.doc_id, p.tf, p.tf_title, p.dl, p.tl FROM search.postings AS p
          WHERE p.term = terms[longest] AND p.tf + p.tf_title = g.tfw
          ORDER BY p.dl + p.tl, p.doc_id LIMIT max_rank) AS p
      ) AS z ORDER BY z.s DESC, z.doc_id LIMIT max_rank)), terms, weights, max_rank, k1, b, avgdl, title_weight);
    RETURN;
  END IF;

  -- 2. theta (0025: from each term's 25 best postings at least, not max_rank: its first estimate
  -- was 1.4x below the final max_rank-th score at max_rank 10 on the bench's long queries). (0028) The
  -- seeds shared among the terms, 2 * max_rank in all (at least 50; at least 10 a term), since step 4
  -- raises theta again: a long query at max_rank 100 scored 2,000 seeds in full (7-8 ms) for a theta
  -- little better than 200 give (bench database, its 200 queries at max_rank 100: mean 10.2 -> 8.0 ms,
  -- p99 78 -> 55).
  seeds_per_term := greatest(10, ceil(greatest(50, 2 * max_rank)::float8 / cardinality(terms))::integer);
  WITH seeds AS (
    SELECT DISTINCT y.doc_id FROM generate_series(1, cardinality(terms)) AS t(ti)
    CROSS JOIN LATERAL (
      SELECT z.doc_id FROM (
        SELECT p.doc_id, search.bm25_term(weights[t.ti], p.tf, p.tf_title, p.dl, p.tl, k1, b, avgdl, title_weight) AS s
        FROM (SELECT x.tfw FROM unnest(gt, gtf) AS x(ti, tfw) WHERE x.ti = t.ti) AS gg
        CROSS JOIN LATERAL (
          SELECT p.doc_id, p.tf, p.tf_title, p.dl, p.tl FROM search.postings AS p
          WHERE p.term = terms[t.ti] AND p.tf + p.tf_title = gg.tfw ORDER BY p.dl + p.tl LIMIT seeds_per_term) AS p
      ) AS z ORDER BY z.s DESC LIMIT seeds_per_term) AS y
  ), full_scores AS (
    SELECT sum(search.bm25_term(weights[array_position(terms, p.term)], p.tf, p.tf_title, p.dl, p.tl,
                                k1, b, avgdl, title_weight)) AS s
    FROM seeds JOIN search.postings AS p ON p.doc_id = seeds.doc_id AND p.term = ANY(terms)
    GROUP BY p.doc_id
  )
  SELECT CASE WHEN count(*) >= max_rank THEN min(f.s) - 1e-9 END INTO theta
  FROM (SELECT full_scores.s FROM full_scores ORDER BY full_scores.s DESC LIMIT max_rank) AS f;

  -- 3. F and B (without theta, every list is read whole).
  full_read := ARRAY(SELECT j FROM generate_series(1, cardinality(terms)) AS j WHERE theta IS NULL);
  LOOP
    SELECT array_agg(j ORDER BY j) INTO cut_terms FROM generate_series(1, cardinality(terms)) AS j
    WHERE NOT j = ANY(full_read);
    b_ub := coalesce((SELECT sum(ub[j]) FROM unnest(cut_terms) AS j), 0);
    EXIT WHEN NOT EXISTS (SELECT FROM unnest(cut_terms) AS j WHERE theta - (b_ub - ub[j]) BETWEEN -1e300 AND 0.5 * ub[j]);
    full_read := full_read || (SELECT j FROM unnest(cut_terms) AS j ORDER BY dfs[j], j LIMIT 1);
  END LOOP;
  cut_terms := coalesce(cut_terms, '{}');
  IF cardinality(cut_terms) > 30 THEN  -- one bit per B term below
    full_read := ARRAY(SELECT generate_series(1, cardinality(terms)));
    cut_terms := '{}';
  END IF;
  -- each B term's cut: what a document holding no F term must score in it to reach theta; and what it adds
  -- at most to a document not seen in it (below its cut, at most its ub; F terms: 0, every posting is read)
  -- (0031) A document holding no F term scores at least its cut in every B term, so the band of one B
  -- term holds them all: only one is read, one that reads nothing if there is one (its cut above its ub),
  -- else the shortest list's. The other B terms are looked up as MaxScore's non-essential terms (cut
  -- infinite: nothing read, and a document not seen in them may add up to their ub). Reading every band
  -- read most of a common term's list for documents the shortest band already held or excluded.
  ranged := (SELECT j FROM unnest(cut_terms) AS j ORDER BY theta - (b_ub - ub[j]) > ub[j] DESC, dfs[j], j LIMIT 1);
  cut := ARRAY(SELECT CASE WHEN j = ANY(cut_terms) AND j <> ranged THEN 'Infinity'::float8
                           ELSE theta - (b_ub - ub[j]) END
               FROM generate_series(1, cardinality(terms)) AS j);
  bound := ARRAY(SELECT CASE WHEN j = ANY(cut_terms) THEN least(ub[j], greatest(cut[j], 0)) ELSE 0 END
                 FROM generate_series(1, cardinality(terms)) AS j);
  SELECT array_agg(CASE
           WHEN x.ti = ANY(full_read) THEN 2147483647
           WHEN b <= 0 OR k1 <= 0 THEN CASE WHEN cut[x.ti] <= ub[x.ti] THEN 2147483647 ELSE -1 END
           ELSE least(2147483647, greatest(-1, floor(((weights[x.ti] * x.tfw / cut[x.ti] - x.tfw) / k1
                                                      - (1 - b)) * avgdl / b) + 1))::integer
         END ORDER BY x.ord)
  INTO ghi FROM unnest(gt, gtf) WITH ORDINALITY AS x(ti, tfw, ord);

  -- 4. Candidates: partial scores over what was read, and which B terms each was seen in (a bit each).
  -- (0023) Those that cannot reach theta even with the most their unseen B terms could add (below their
  -- cut) are dropped here, before the completion.
  b_bound := coalesce((SELECT sum(bound[j]) FROM unnest(cut_terms) AS j), 0);
  -- (0038) Only the ranged B term can be read (the others' cuts are infinite): when its band is empty
  -- too, no candidate is seen in a B term, and the statement below, planned for these values, folds its
  -- two per-candidate aggregates of B terms away (CASE on a constant): a third of its aggregate work,
  -- 5-7% of a long query (bench, long queries at max_rank 10: mean 12.6 -> 11.9 ms; at 100: 21.4 -> 19.8).
  band_read := EXISTS (SELECT FROM unnest(gt, ghi) AS g(ti, hi) WHERE g.hi >= 0 AND g.ti = ANY(cut_terms));
  -- (0025) Each tf group's constants computed once (OFFSET 0 keeps them out of the per-posting sum), and
  -- the postings grouped by hashing rather than sorting (the planner, which cannot know how many a group
  -- range holds, chose a sort): 15-20% of a long query's time on the bench corpus.
  PERFORM set_config('plan_cache_mode', 'force_custom_plan', true);
  sort_setting := current_setting('enable_sort');
  PERFORM set_config('enable_sort', 'off', true);
  -- (0028) With two or more lists read whole, a candidate's partial score is most of its score: the
  -- best ones by partial score (2 * max_rank, at least 50), scored in full (search.bm25_ranked), raise
  -- theta to their max_rank-th score before any candidate is kept (the bench's long queries at
  -- max_rank 10: theta went from a median 17% below the final max_rank-th score, at worst 45%, to
  -- 0.1%, at worst 5%). (0036) With one list read whole, its best 200 candidates (2 * max_rank if
  -- more) raise theta too: a partial score is then one term's, so the best 50 seldom hold the others
  -- (two common words: 在 read whole, 了 looked up for all its 27,000 candidates; the bench's common
  -- queries at max_rank 10: p99 44-48 -> 32-34 ms, mean 4.8 -> 4.6; long queries unchanged).
  WITH c AS MATERIALIZED (
    SELECT p.doc_id AS id, sum(x.wt / (x.c0 + x.kb * (p.dl + p.tl))) AS partial,
           CASE WHEN band_read THEN bit_or(x.bit) ELSE 0 END AS seen,
           CASE WHEN band_read THEN sum(x.bnd) ELSE 0 END AS seen_bound
    FROM (SELECT g.tfw, g.hi, terms[g.ti] AS term, weights[g.ti] * g.tfw AS wt, k1 * b / avgdl AS kb,
                 g.tfw + k1 * (1 - b) AS c0, coalesce(1 << array_position(cut_terms, g.ti), 0) AS bit,
                 bound[g.ti] AS bnd
          FROM unnest(gt, gtf, ghi) AS g(ti, tfw, hi) WHERE g.hi >= 0 OFFSET 0) AS x
    CROSS JOIN LATERAL (
      SELECT p.doc_id, p.dl, p.tl FROM search.postings AS p
      WHERE p.term = x.term AND p.tf + p.tf_title = x.tfw AND p.dl + p.tl <= x.hi) AS p
    GROUP BY p.doc_id
  ), raised AS (
    SELECT greatest(theta, (
      SELECT min(f.score) - 1e-9 FROM search.bm25_ranked(ARRAY(
        SELECT c.id FROM c WHERE cardinality(full_read) >= 1 AND cardinality(cut_terms) > 0
        ORDER BY c.partial DESC
        LIMIT greatest(CASE WHEN cardinality(full_read) = 1 THEN 200 ELSE 50 END, 2 * max_rank)),
        terms, weights, max_rank, k1, b, avgdl, title_weight) AS f
      HAVING count(*) >= max_rank)) AS theta
  )
  SELECT array_agg(c.id), array_agg(c.partial), array_agg(c.seen), (SELECT r.theta FROM raised AS r)
  INTO kept_ids, kept_partial, kept_seen, theta
  FROM c
  WHERE (SELECT r.theta FROM raised AS r) IS NULL
     OR c.partial + b_bound - c.seen_bound >= (SELECT r.theta FROM raised AS r);
  PERFORM set_config('enable_sort', sort_setting, true);
  IF cardinality(kept_ids) >= max_rank THEN
    theta := greatest(theta, (SELECT x FROM unnest(kept_partial) AS x ORDER BY x DESC OFFSET max_rank - 1 LIMIT 1) - 1e-9);
  END IF;

  -- ... completed term by term.
  FOREACH tj IN ARRAY cut_terms LOOP
    EXIT WHEN kept_ids IS NULL;
    bit := 1 << array_position(cut_terms, tj);
    -- what the later B terms could still add
    rest := coalesce((SELECT sum(bound[u]) FROM unnest(cut_terms[array_position(cut_terms, tj) + 1:]) AS u), 0);
    SELECT array_agg(k.id), array_agg(k.s + coalesce(o.s, 0)), array_agg(k.seen | bit)
    INTO kept_ids, kept_partial, kept_seen
    FROM unnest(kept_ids, kept_partial, kept_seen) AS k(id, s, seen)
    LEFT JOIN LATERAL (
      SELECT search.bm25_term(weights[tj], p.tf, p.tf_title, p.dl, p.tl, k1, b, avgdl, title_weight) AS s
      FROM search.postings AS p WHERE k.seen & bit = 0 AND p.doc_id = k.id AND p.term = terms[tj]) AS o ON true
    WHERE theta IS NULL
       OR (k.s + rest + CASE WHEN k.seen & bit = 0 THEN bound[tj] ELSE 0 END >= theta  -- before the lookup
           AND k.s + coalesce(o.s, 0) + rest >= theta);
    IF cardinality(kept_ids) >= max_rank THEN
      theta := greatest(theta, (SELECT x FROM unnest(kept_partial) AS x ORDER BY x DESC OFFSET max_rank - 1 LIMIT 1) - 1e-9);
    END IF;
  END LOOP;
  -- 5. Final scores summed in term order, so that equal documents tie exactly whichever path found them.
  RETURN QUERY SELECT * FROM search.bm25_ranked(ARRAY(
    SELECT k.id FROM unnest(kept_ids, kept_partial) AS k(id, s)
    WHERE k.s >= coalesce((SELECT x FROM unnest(kept_partial) AS x ORDER BY x DESC OFFSET max_rank - 1 LIMIT 1), 0) - 1e-9
  ), terms, weights, max_rank, k1, b, avgdl, title_weight);
END
$$;

-- Pinyin matches (app/text/pinyin.py): documents whose `pinyin` column holds `query_pinyin` (a tsquery
-- of syllable or initials phrases), the shortest first: a title the query spells whole ranks above one
-- it is part of. score = 1 / the syllables in the document's pinyin fields. The filter applies as in
-- every leg.
CREATE OR REPLACE FUNCTION search.pinyin_ranks(query_pinyin tsquery, max_rank integer, filter jsonb DEFAULT NULL)
RETURNS TABLE (doc_id bigint, rank integer, score double precision)
LANGUAGE sql STABLE AS $$
  SELECT d.id, (row_number() OVER (ORDER BY d.pinyin_len, d.id))::integer, 1.0 / greatest(d.pinyin_len, 1)
  FROM public.documents AS d
  WHERE d.pinyin @@ query_pinyin
    AND (filter IS NULL OR (d.metadata @> search.filter_contains(filter)
                            AND search.conditions_hold(d.metadata, filter) AND search.text_holds(d.tsv, filter)))
  ORDER BY d.pinyin_len, d.id
  LIMIT greatest(max_rank, 0)
$$;

-- One term as a tsquery operand: quoted, its quotes and backslashes escaped (a term is taken as it is).
CREATE OR REPLACE FUNCTION search.quote_lexeme(term text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT '''' || replace(replace(term, '\', '\\'), '''', '''''') || ''''
$$;

-- The query's terms as a tsquery: each term or one of its synonyms (the filter's `synonyms`), joined
-- by `op` (' & ': every term, and then the filter's own `text` condition too; ' | ': any term).
CREATE OR REPLACE FUNCTION search.terms_query(query_terms text[], filter jsonb, op text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN op = ' & ' AND filter ? 'text' AND t.q IS NOT NULL
              THEN '(' || (filter->>'text') || ') & ' || t.q ELSE t.q END
  FROM (
    SELECT string_agg('(' || x.forms || ')', op ORDER BY x.forms) AS q
    FROM (
      SELECT string_agg(search.quote_lexeme(f), ' | ' ORDER BY f) AS forms
      FROM (SELECT DISTINCT t FROM unnest(query_terms) AS t WHERE t <> '') AS q
      CROSS JOIN LATERAL (
        SELECT q.t AS f
        UNION SELECT jsonb_array_elements_text(coalesce(filter->'synonyms'->q.t, '[]'))) AS forms
      GROUP BY q.t
    ) AS x
  ) AS t
$$;

-- The lexical leg: BM25 over the characters (search.keyword_ranks). When the filter carries a `pinyin`
-- tsquery (the query read as pinyin) and some document's pinyin matches it, three tiers, each exact:
-- the character matches holding every query term (BM25 order), then the documents only pinyin finds
-- (search.pinyin_ranks, shortest field first), then the character matches holding some of the terms.
-- So pinyin never displaces a document that holds the query, and a pinyin query is not beaten by a
-- document that happens to hold one of its syllables as a word (`da`). `pinyin_score` is set on the
-- pinyin tier alone (score NULL there: no BM25; search.keyword shows 0).
CREATE OR REPLACE FUNCTION search.lexical_ranks(
    query_terms text[], max_rank integer, k1 double precision DEFAULT 1.2, b double precision DEFAULT 0.75,
    filter jsonb DEFAULT NULL, title_weight double precision DEFAULT 2.0)
RETURNS TABLE (doc_id bigint, rank integer, score double precision, pinyin_score double precision)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  pinyin tsquery := (filter->>'pinyin')::tsquery;
  rest jsonb := nullif(filter - 'pinyin', '{}');
  pinyin_filter jsonb := search.vector_filter(filter);
  every text;
BEGIN
  IF pinyin IS NULL OR NOT EXISTS (SELECT 1 FROM search.pinyin_ranks(pinyin, 1, pinyin_filter)) THEN
    RETURN QUERY SELECT k.doc_id, k.rank, k.score, NULL::float8
                 FROM search.keyword_ranks(query_terms, max_rank, k1, b, rest, title_weight) AS k;
    RETURN;
  END IF;
  every := search.terms_query(query_terms, rest, ' & ');
  RETURN QUERY
    WITH whole AS (
      SELECT k.doc_id, k.rank, k.score FROM search.keyword_ranks(
        query_terms, max_rank, k1, b, coalesce(rest, '{}') || jsonb_build_object('text', every), title_weight) AS k
      WHERE every IS NOT NULL
    ), py AS (
      SELECT p.doc_id, p.score, row_number() OVER (ORDER BY p.rank) AS r
      FROM search.pinyin_ranks(pinyin, max_rank, pinyin_filter) AS p
      WHERE NOT EXISTS (SELECT 1 FROM whole AS w WHERE w.doc_id = p.doc_id)
    ), part AS (
      SELECT k.doc_id, k.score, row_number() OVER (ORDER BY k.rank) AS r
      FROM search.keyword_ranks(query_terms, max_rank, k1, b, rest, title_weight) AS k
      WHERE NOT EXISTS (SELECT 1 FROM whole AS w WHERE w.doc_id = k.doc_id)
        AND NOT EXISTS (SELECT 1 FROM py WHERE py.doc_id = k.doc_id)
    ), counts AS (
      SELECT (SELECT count(*) FROM whole)::integer AS nw, (SELECT count(*) FROM py)::integer AS np
    ), tiers AS (
      SELECT w.doc_id, w.rank, w.score, NULL::float8 AS pinyin_score FROM whole AS w
      UNION ALL
      SELECT py.doc_id, (c.nw + py.r)::integer, NULL::float8, py.score FROM py CROSS JOIN counts AS c
      UNION ALL
      SELECT part.doc_id, (c.nw + c.np + part.r)::integer, part.score, NULL::float8
      FROM part CROSS JOIN counts AS c
    )
    SELECT t.doc_id, t.rank, t.score, t.pinyin_score FROM tiers AS t WHERE t.rank <= max_rank ORDER BY t.rank;
END
$$;

CREATE OR REPLACE FUNCTION search.keyword(
    query_terms text[], result_limit integer DEFAULT 10, result_offset integer DEFAULT 0,
    k1 double precision DEFAULT 1.2, b double precision DEFAULT 0.75, filter jsonb DEFAULT NULL,
    snippet_width integer DEFAULT 160, title_weight double precision DEFAULT 2.0)
RETURNS SETOF search.hit LANGUAGE sql STABLE AS $$
  SELECT d.external_id, d.title, d.url,
         CASE WHEN snippet_width > 0 THEN search.snippet(d.body, query_terms, snippet_width) END,
         coalesce(r.score, 0), r.rank, r.score, NULL::integer, NULL::float8, d.metadata,
         NULL::integer, NULL::integer, NULL::float8, r.pinyin_score
  FROM search.lexical_ranks(query_terms, result_offset + result_limit, k1, b, filter, title_weight) AS r
  JOIN public.documents AS d ON d.id = r.doc_id
  WHERE r.rank > result_offset
  ORDER BY r.rank
$$;
