-- What a pinned document the search itself did not return shows as a hit.
SELECT external_id AS id, title, url, metadata, body FROM public.documents WHERE external_id = ANY(%(ids)s)
