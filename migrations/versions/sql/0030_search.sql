-- 0030: a document's vector stays in its row. A document's halfvec(1024) is 2,052 bytes of a ~2.7 kB
-- row, over the 2 kB at which PostgreSQL moves a row's long values to TOAST, so every document written
-- also inserted its vector's chunks into the TOAST table and their entry into its index (417 MB of TOAST
-- on the bench's 157,814 documents); with toast_tuple_target 4080 a row that fits two to a page keeps
-- its vector, as the passages do since 0027. A load of 100,000 documents: 3% less time. Rows stored
-- before stay where they are (read the same way); rows written from now on keep their vector inline.
-- Larger vectors (vector(1024), 4.1 kB) still go to TOAST.

ALTER TABLE public.documents SET (toast_tuple_target = 4080);
