-- A curation for one query (its key), pinned and hidden document ids, an optional time window.
INSERT INTO search.curations (query_key, pinned, hidden, starts_at, ends_at)
VALUES (search.query_key(%(query)s), %(pinned)s, %(hidden)s, %(starts_at)s, %(ends_at)s)
RETURNING id, query_key, pinned, hidden, starts_at, ends_at
