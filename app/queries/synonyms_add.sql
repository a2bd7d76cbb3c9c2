-- A synonym rule, as written and as the analyzer's terms (NULL targets: an equivalence group).
INSERT INTO search.synonyms (rule, forms, targets) VALUES (%(rule)s, %(forms)s, %(targets)s) RETURNING id
