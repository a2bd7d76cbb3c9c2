-- The written documents' keys, locked for the transaction in one order (by the hash of each external
-- id; given as external ids, or as stored ids): writes of the same documents queue behind each other
-- instead of deadlocking, while writes of other documents go on beside them (the statistics every
-- write changes are folded at its commit: sql/02_statistics.sql).
SELECT pg_advisory_xact_lock(1213416515, keys.k)
FROM (
    SELECT hashtext(i) AS k FROM unnest(%(external_ids)s::text[]) AS i
    UNION
    SELECT hashtext(d.external_id) FROM public.documents AS d WHERE d.id = ANY(%(doc_ids)s::bigint[])
    ORDER BY 1 OFFSET 0
) AS keys
