-- The lock every write takes anyway, taken first: a reembed's swap (SHARE ROW EXCLUSIVE) finishes
-- before a write checks its vectors' model.
LOCK TABLE public.documents IN ROW EXCLUSIVE MODE
