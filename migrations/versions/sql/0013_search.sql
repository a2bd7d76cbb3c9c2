-- hybrid-search 0013 (frozen copy): pinyin. Documents get a `pinyin` tsvector (syllables and initials
-- pairs of the PINYIN_FIELDS, made by app/text/pinyin.py) under GIN and its syllable count; the keyword
-- leg becomes search.lexical_ranks (BM25, then the documents only the query's pinyin finds);
-- search.hit and search.fused carry pinyin_score. search.synonym_groups also keys runs of query terms a
-- one-way rule starts from (苹果手机 => iphone).

ALTER TABLE public.documents
    ADD COLUMN pinyin tsvector NOT NULL DEFAULT ''::tsvector,
    ADD COLUMN pinyin_len integer NOT NULL DEFAULT 0 CHECK (pinyin_len >= 0);
COMMENT ON COLUMN public.documents.pinyin IS
    'toneless pinyin of the PINYIN_FIELDS: syllables at consecutive positions, ~xy initials of adjacent pairs';
COMMENT ON COLUMN public.documents.pinyin_len IS 'number of syllables in pinyin';
CREATE INDEX documents_pinyin_gin ON public.documents USING gin (pinyin);

ALTER TYPE search.hit ADD ATTRIBUTE pinyin_score double precision;
DROP FUNCTION search.fused(text[], vector, sparsevec, integer, integer, double precision, double precision, double precision, double precision, double precision, jsonb, integer, text, double precision, integer, double precision);

-- The filter of the legs that read no terms (semantic, sparse, the pinyin match, facets' semantic
-- part): without the keyword leg's own parts (`synonyms`, the query's `pinyin`), NULL when nothing is left.
CREATE OR REPLACE FUNCTION search.vector_filter(filter jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT nullif(filter - 'synonyms' - 'pinyin', '{}')
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

CREATE OR REPLACE FUNCTION search.semantic(
    query_embedding vector, result_limit integer DEFAULT 10, result_offset integer DEFAULT 0,
    query_terms text[] DEFAULT NULL, filter jsonb DEFAULT NULL, ef_search integer DEFAULT 100,
    snippet_width integer DEFAULT 160, exact_below integer DEFAULT 2000)
RETURNS SETOF search.hit LANGUAGE sql AS $$
  SELECT d.external_id, d.title, d.url,
         CASE WHEN snippet_width > 0 THEN search.snippet(d.body, query_terms, snippet_width) END, r.score,
         NULL::integer, NULL::float8, r.rank, r.score, d.metadata, r.passage_start, NULL::integer, NULL::float8,
         NULL::float8
  FROM search.semantic_ranks(query_embedding, result_offset + result_limit, filter, ef_search, exact_below) AS r
  JOIN public.documents AS d ON d.id = r.doc_id
  WHERE r.rank > result_offset
  ORDER BY r.rank
$$;

-- The learned sparse leg alone: documents by lexical matching score.
CREATE OR REPLACE FUNCTION search.sparse(
    query_sparse sparsevec, result_limit integer DEFAULT 10, result_offset integer DEFAULT 0,
    query_terms text[] DEFAULT NULL, filter jsonb DEFAULT NULL, ef_search integer DEFAULT 100,
    snippet_width integer DEFAULT 160, exact_below integer DEFAULT 2000)
RETURNS SETOF search.hit LANGUAGE sql AS $$
  SELECT d.external_id, d.title, d.url,
         CASE WHEN snippet_width > 0 THEN search.snippet(d.body, query_terms, snippet_width) END, r.score,
         NULL::integer, NULL::float8, NULL::integer, NULL::float8, d.metadata, NULL::integer, r.rank, r.score,
         NULL::float8
  FROM search.sparse_ranks(query_sparse, result_offset + result_limit, filter, ef_search, exact_below) AS r
  JOIN public.documents AS d ON d.id = r.doc_id
  WHERE r.rank > result_offset
  ORDER BY r.rank
$$;

-- One fusion of the legs over a window: each leg ranks its top `window_size` documents, then
--   fusion = 'rrf':    score = sum of weight_leg / (rrf_k + rank_leg)
--   fusion = 'minmax': score = sum of weight_leg * (s - min) / (max - min) over the leg's window,
--                      divided by the sum of the weights of the legs that ran (a convex combination)
-- The legs: keyword (BM25), semantic (dense cosine) and, when `query_sparse` is given, the learned
-- sparse leg. A leg contributes only where it ranked the document. A NULL query_embedding (no model)
-- leaves the semantic leg out. The filter's synonyms are the keyword leg's alone: the vector legs get
-- the filter without them (none at all when nothing else is in it), and so is the query's pinyin: the
-- keyword leg is search.lexical_ranks, whose pinyin-only matches rank after its character matches, and
-- carry `pinyin_score`. Fused scores below min_score are
-- dropped. The vector legs read the HNSW index with ef_search at least the window (a fixed value per
-- window, so the lists are repeatable).
CREATE OR REPLACE FUNCTION search.fused(
    query_terms text[], query_embedding vector, query_sparse sparsevec, window_size integer,
    rrf_k integer, keyword_weight double precision, semantic_weight double precision,
    sparse_weight double precision, k1 double precision, b double precision, filter jsonb,
    ef_search integer, fusion text, min_score double precision, exact_below integer,
    title_weight double precision)
RETURNS TABLE (doc_id bigint, fused_score double precision,
               keyword_rank integer, keyword_score double precision,
               semantic_rank integer, semantic_score double precision, passage_start integer,
               sparse_rank integer, sparse_score double precision, pinyin_score double precision)
LANGUAGE sql AS $$
  WITH kw AS (
    SELECT * FROM search.lexical_ranks(query_terms, window_size, k1, b, filter, title_weight)
  ), sem AS (
    SELECT * FROM search.semantic_ranks(
      query_embedding, window_size, search.vector_filter(filter), greatest(ef_search, window_size),
      exact_below)
  ), sp AS (
    SELECT * FROM search.sparse_ranks(
      query_sparse, window_size, search.vector_filter(filter), greatest(ef_search, window_size),
      exact_below)
  ), ranges AS (
    SELECT (SELECT min(score) FROM kw) AS k_lo, (SELECT max(score) FROM kw) AS k_hi,
           (SELECT min(score) FROM sem) AS s_lo, (SELECT max(score) FROM sem) AS s_hi,
           (SELECT min(score) FROM sp) AS p_lo, (SELECT max(score) FROM sp) AS p_hi
  ), weights AS (
    SELECT keyword_weight
           + CASE WHEN query_embedding IS NULL THEN 0 ELSE semantic_weight END
           + CASE WHEN query_sparse IS NULL THEN 0 ELSE sparse_weight END AS total
  ), joined AS (
    SELECT coalesce(kw.doc_id, sem.doc_id, sp.doc_id) AS doc_id,
           kw.rank AS keyword_rank, kw.score AS keyword_score, kw.pinyin_score,
           sem.rank AS semantic_rank, sem.score AS semantic_score, sem.passage_start,
           sp.rank AS sparse_rank, sp.score AS sparse_score
    FROM kw
    FULL OUTER JOIN sem ON kw.doc_id = sem.doc_id
    FULL OUTER JOIN sp ON sp.doc_id = coalesce(kw.doc_id, sem.doc_id)
  ), fused AS (
    SELECT j.doc_id,
      CASE fusion
        WHEN 'minmax' THEN (
            coalesce(keyword_weight
                     * CASE WHEN r.k_hi > r.k_lo THEN (j.keyword_score - r.k_lo) / (r.k_hi - r.k_lo) ELSE 1 END, 0)
          + coalesce(semantic_weight
                     * CASE WHEN r.s_hi > r.s_lo THEN (j.semantic_score - r.s_lo) / (r.s_hi - r.s_lo) ELSE 1 END, 0)
          + coalesce(sparse_weight
                     * CASE WHEN r.p_hi > r.p_lo THEN (j.sparse_score - r.p_lo) / (r.p_hi - r.p_lo) ELSE 1 END, 0)
          ) / nullif(w.total, 0)
        ELSE coalesce(keyword_weight / (rrf_k + j.keyword_rank), 0)
           + coalesce(semantic_weight / (rrf_k + j.semantic_rank), 0)
           + coalesce(sparse_weight / (rrf_k + j.sparse_rank), 0)
      END AS fused_score,
      j.keyword_rank, j.keyword_score, j.semantic_rank, j.semantic_score, j.passage_start,
      j.sparse_rank, j.sparse_score, j.pinyin_score
    FROM joined AS j CROSS JOIN ranges AS r CROSS JOIN weights AS w
  )
  SELECT * FROM fused WHERE min_score IS NULL OR fused_score >= min_score
$$;

-- Hybrid search: the legs fused over a window of `rank_window` documents each (as Elasticsearch's
-- rank_window_size), so the first pages cost little. Deeper pages (offset + limit > rank_window) read a
-- fusion over `deep_window` documents per leg, from which the hits already shown are removed: positions
-- 1..rank_window come from the small fusion, later ones from the deep one, and the whole is one fixed
-- list, so walking the pages never repeats or skips a document. Ties break on the document's key.
CREATE OR REPLACE FUNCTION search.hybrid(
    query_terms text[], query_embedding vector,
    result_limit integer DEFAULT 10, result_offset integer DEFAULT 0,
    rrf_k integer DEFAULT 10,
    keyword_weight double precision DEFAULT 1.0, semantic_weight double precision DEFAULT 1.0,
    rank_window integer DEFAULT 100,
    k1 double precision DEFAULT 1.2, b double precision DEFAULT 0.75,
    filter jsonb DEFAULT NULL, ef_search integer DEFAULT 100,
    fusion text DEFAULT 'rrf', min_score double precision DEFAULT NULL, snippet_width integer DEFAULT 160,
    exact_below integer DEFAULT 2000, title_weight double precision DEFAULT 2.0,
    query_sparse sparsevec DEFAULT NULL, sparse_weight double precision DEFAULT 1.0,
    deep_window integer DEFAULT 1100)
RETURNS SETOF search.hit LANGUAGE sql AS $$
  WITH shallow AS (
    SELECT f.*, row_number() OVER (ORDER BY f.fused_score DESC, f.doc_id) AS pos
    FROM search.fused(query_terms, query_embedding, query_sparse, rank_window, rrf_k, keyword_weight,
                      semantic_weight, sparse_weight, k1, b, filter, ef_search, fusion, min_score,
                      exact_below, title_weight) AS f
  ), head AS (
    SELECT * FROM shallow WHERE pos <= rank_window
  ), deep AS (
    SELECT f.*, (SELECT count(*) FROM head) + row_number() OVER (ORDER BY f.fused_score DESC, f.doc_id) AS pos
    FROM search.fused(query_terms, query_embedding, query_sparse,
                      greatest(deep_window, result_offset + result_limit), rrf_k, keyword_weight,
                      semantic_weight, sparse_weight, k1, b, filter, ef_search, fusion, min_score,
                      exact_below, title_weight) AS f
    WHERE result_offset + result_limit > rank_window
      AND NOT EXISTS (SELECT 1 FROM head AS h WHERE h.doc_id = f.doc_id)
  ), page AS (
    SELECT * FROM (SELECT * FROM head UNION ALL SELECT * FROM deep) AS m
    WHERE m.pos > result_offset
    ORDER BY m.pos
    LIMIT result_limit
  )
  SELECT d.external_id, d.title, d.url,
         CASE WHEN snippet_width > 0 THEN search.snippet(d.body, query_terms, snippet_width) END, p.fused_score,
         p.keyword_rank, p.keyword_score, p.semantic_rank, p.semantic_score, d.metadata, p.passage_start,
         p.sparse_rank, p.sparse_score, p.pinyin_score
  FROM page AS p JOIN public.documents AS d ON d.id = p.doc_id
  ORDER BY p.pos
$$;

-- The query's terms that have synonyms, each with all its forms ({"手机": ["手机", "智能手机", "移动电话"]}):
-- the forms of every equivalence group holding it, and the targets of every one-way rule from it (which
-- replace it). A one-way rule's left side may be a run of terms (`苹果 手机`, stored space-joined): it is
-- a key too when the query holds those terms in a row. search.keyword_ranks_scan scores each term's (or
-- run's) forms as one term, as Lucene's SynonymQuery.
CREATE OR REPLACE FUNCTION search.synonym_groups(query_terms text[])
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT coalesce(jsonb_object_agg(x.term, x.forms), '{}'::jsonb)
  FROM (
    SELECT t.term, to_jsonb(array_agg(DISTINCT f.form ORDER BY f.form)) AS forms
    FROM (
      SELECT q AS term FROM unnest(query_terms) AS q
      UNION
      SELECT run FROM search.synonyms AS r CROSS JOIN LATERAL unnest(r.forms) AS run
      WHERE r.targets IS NOT NULL AND strpos(run, ' ') > 0
        AND strpos(' ' || array_to_string(query_terms, ' ') || ' ', ' ' || run || ' ') > 0
    ) AS t
    JOIN search.synonyms AS s ON s.forms @> ARRAY[t.term]
    CROSS JOIN LATERAL unnest(coalesce(s.targets, s.forms)) AS f(form)
    GROUP BY t.term
    HAVING array_agg(DISTINCT f.form) <> ARRAY[t.term]
  ) AS x
$$;
