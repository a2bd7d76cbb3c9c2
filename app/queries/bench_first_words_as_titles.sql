-- The bench's stand-in titles for a corpus without any: each document's first characters, up to the
-- first punctuation.
UPDATE documents
SET title = btrim(substring(left(body, %(chars)s) FROM '^[^。，,.!?！？；;：:\n]+'))
WHERE title = '' AND body ~ '^\s*[^。，,.!?！？；;：:\n]'
