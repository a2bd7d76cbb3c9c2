SELECT external_id, content_hash FROM public.documents WHERE external_id = ANY(%(ids)s::text[])
