-- The curated order of a search's organic ids (search.curate), the pinned documents first.
SELECT id, pos, pinned FROM search.curate(%(q)s, %(organic)s::text[], %(filters)s::jsonb)
