-- 0030 undone: documents written from now on move a vector over 2 kB to TOAST again; rows stored inline
-- stay so (read the same way).

ALTER TABLE public.documents RESET (toast_tuple_target);
