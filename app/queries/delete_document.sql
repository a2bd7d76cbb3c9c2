DELETE FROM public.documents WHERE external_id = %(id)s RETURNING id
