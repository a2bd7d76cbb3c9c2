-- Synonyms, managed by admins (`hybrid-search synonyms`, /synonyms) and applied at query time, so no
-- re-index: a rule makes its forms one equivalence group (手机, 移动电话, 智能手机: each finds them all)
-- or maps its forms one way to its targets (苹果手机 => iphone: a query's 苹果手机 searches iphone, as
-- Solr's explicit mappings replace). Forms and targets are stored as the analyzer's terms, one each,
-- except a one-way rule's forms, which may be runs of terms joined by a space (苹果手机: `苹果 手机`).

CREATE TABLE search.synonyms (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rule       text NOT NULL,                                     -- as written (Solr's synonym syntax)
    forms      text[] NOT NULL CHECK (cardinality(forms) > 0),
    targets    text[],                                            -- NULL: an equivalence group
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX synonyms_forms ON search.synonyms USING gin (forms);
COMMENT ON TABLE search.synonyms IS
    'equivalence groups and one-way rules applied to queries; the keyword leg scores a term''s forms as one term';

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
