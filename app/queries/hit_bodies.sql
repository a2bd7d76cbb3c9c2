SELECT external_id, body FROM public.documents WHERE external_id = ANY(%(ids)s::text[])
