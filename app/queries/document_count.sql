SELECT count(*) FROM public.documents
