-- New tokens for stored documents, their vectors kept (retokenize): the row's tsvector, lengths,
-- pinyin and content hash; the statistics triggers follow the lengths, the postings are replaced apart.
UPDATE public.documents AS d
SET tsv = s.tsv::tsvector, doc_len = s.doc_len, title_len = s.title_len, pinyin = s.pinyin::tsvector,
    pinyin_len = s.pinyin_len, content_hash = s.content_hash, updated_at = now()
FROM unnest(%(ids)s::bigint[], %(tsv)s::text[], %(doc_len)s::integer[], %(title_len)s::integer[],
            %(pinyin)s::text[], %(pinyin_len)s::integer[], %(content_hash)s::text[])
     AS s(id, tsv, doc_len, title_len, pinyin, pinyin_len, content_hash)
WHERE d.id = s.id
