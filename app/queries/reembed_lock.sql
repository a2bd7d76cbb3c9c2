-- Writers wait (searches do not) while the last changed documents are re-embedded and the swap runs.
LOCK TABLE public.documents IN SHARE ROW EXCLUSIVE MODE
