-- hybrid-search 0039 (frozen copy): search.keyword_ranks' step 1 groups a list as it reads it up to 600
-- postings (was 2,000); a longer list's tf groups are found by skipping through the impact index, two
-- probes a group. Same results.

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
