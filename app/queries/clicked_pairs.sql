-- (query key, the query as most often typed, document) for every document clicked on that query's
-- results by at least min_clients distinct clients within the last `days` days.
SELECT search.query_key(l.query) AS query_key,
       mode() WITHIN GROUP (ORDER BY l.query) AS query,
       e.doc_id
FROM search.events AS e JOIN search.query_log AS l ON l.search_id = e.search_id
WHERE e.kind = 'click' AND e.at >= now() - make_interval(days => %(days)s)
GROUP BY 1, 3
HAVING count(DISTINCT coalesce(e.client, e.search_id::text)) >= %(min_clients)s
ORDER BY 1, 3
