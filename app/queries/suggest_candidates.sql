-- The candidates, kept for this transaction: search.refresh_suggestions reads them from there.
CREATE TEMP TABLE suggest_candidates ON COMMIT DROP AS
SELECT * FROM search.suggest_candidates(%(min_clients)s, %(days)s);
