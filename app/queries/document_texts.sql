SELECT external_id, title, body FROM public.documents WHERE external_id = ANY(%(ids)s::text[])
