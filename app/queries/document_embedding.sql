SELECT embedding::vector AS embedding FROM public.documents WHERE external_id = %(id)s
