-- The transaction's statistics folded now rather than at its commit (sql/02_statistics.sql): its own
-- reads see them, and the statistics' rows are held only from here to the commit that follows.
SET CONSTRAINTS search.stats_pending_fold IMMEDIATE
