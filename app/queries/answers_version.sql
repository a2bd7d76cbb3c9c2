-- The version a kept answer is checked against (sql/18_answers.sql).
SELECT search.answers_version() AS version
