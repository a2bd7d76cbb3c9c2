-- Tables and types: documents (text, tokens, vectors) in public, everything the search functions keep
-- beside them in the `search` schema. Columns appear in the order the migrations created them.

CREATE EXTENSION IF NOT EXISTS vector;
CREATE SCHEMA IF NOT EXISTS search;

CREATE TABLE public.documents (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    external_id  text NOT NULL UNIQUE,
    title        text NOT NULL DEFAULT '',
    body         text NOT NULL DEFAULT '',
    url          text,
    metadata     jsonb NOT NULL DEFAULT '{}'::jsonb,
    tsv          tsvector NOT NULL DEFAULT ''::tsvector,
    doc_len      integer NOT NULL DEFAULT 0 CHECK (doc_len >= 0),
    embedding    vector,
    content_hash text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    title_len    integer NOT NULL DEFAULT 0 CHECK (title_len >= 0),
    sparse       sparsevec,
    pinyin       tsvector NOT NULL DEFAULT ''::tsvector,
    pinyin_len   integer NOT NULL DEFAULT 0 CHECK (pinyin_len >= 0)
) WITH (toast_tuple_target = 4080);
-- toast_tuple_target 4080 (0030): a row that fits two to a page keeps its vector inline (a
-- halfvec(1024) document is ~2.7 kB), so writing a document is one heap insert, not also TOAST chunks
-- and their index entry; a longer row still has its body compressed and its largest values moved out.
COMMENT ON COLUMN public.documents.tsv IS 'jieba search-mode tokens with positions';
COMMENT ON COLUMN public.documents.doc_len IS 'BM25 document length: number of tokens';
COMMENT ON COLUMN public.documents.embedding IS 'unit dense vector; vector(dim) once a model is registered';
COMMENT ON COLUMN public.documents.title_len IS 'number of title tokens (first in the token stream)';
COMMENT ON COLUMN public.documents.sparse IS
    'learned lexical weights (bge-m3 sparse head) of the document''s heaviest terms, by vocabulary id';
COMMENT ON COLUMN public.documents.pinyin IS
    'toneless pinyin of the PINYIN_FIELDS: syllables at consecutive positions, ~xy initials of adjacent pairs';
COMMENT ON COLUMN public.documents.pinyin_len IS 'number of syllables in pinyin';
CREATE INDEX documents_tsv_gin ON public.documents USING gin (tsv);
CREATE INDEX documents_pinyin_gin ON public.documents USING gin (pinyin);
CREATE INDEX documents_metadata_gin ON public.documents USING gin (metadata jsonb_path_ops);

-- Exact term frequencies per document, in the body and in the title (a tsvector caps positions at 256
-- per lexeme), with the lengths BM25 needs. No foreign key: search.documents_cascade deletes a deleted
-- document's postings and passages, one statement for all of them. Terms compare byte by byte (COLLATE
-- "C", 0029): the indexes are built and searched with memcmp, not the locale's strcoll. The primary key
-- carries the BM25 columns (0035): a document's posting of a term is looked up from the index alone.
CREATE TABLE search.postings (
    term     text COLLATE "C" NOT NULL,
    doc_id   bigint NOT NULL,
    tf       integer NOT NULL CHECK (tf > 0),
    dl       integer NOT NULL CHECK (dl >= 0),
    tf_title integer NOT NULL DEFAULT 0,
    tl       integer NOT NULL DEFAULT 0,
    grp      integer NOT NULL,
    PRIMARY KEY (doc_id, term) INCLUDE (tf, tf_title, dl, tl)
);
CREATE INDEX postings_impact ON search.postings (term, (tf + tf_title), (dl + tl), doc_id)
    INCLUDE (tf, tf_title, dl, tl, grp);
COMMENT ON INDEX search.postings_impact IS
    'impact order: within a term and a tf (title counted twice), BM25 falls as the document grows';
COMMENT ON COLUMN search.postings.grp IS
    'the document''s metadata (search.metadata_groups): facet counts read the postings index alone';

-- Each distinct metadata the documents carry, numbered for the postings (search.metadata_groups_of).
CREATE TABLE search.metadata_groups (
    id       integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key      uuid NOT NULL UNIQUE,
    metadata jsonb NOT NULL
);
COMMENT ON COLUMN search.metadata_groups.key IS 'md5 of the metadata''s text';

CREATE TABLE search.term_stats (
    term text COLLATE "C" PRIMARY KEY,
    df   integer NOT NULL
);

CREATE TABLE search.corpus_stats (
    singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    n_docs          bigint NOT NULL DEFAULT 0,
    total_len       bigint NOT NULL DEFAULT 0,
    total_title_len bigint NOT NULL DEFAULT 0,
    generation      bigint NOT NULL DEFAULT 0
);
INSERT INTO search.corpus_stats DEFAULT VALUES ON CONFLICT DO NOTHING;

CREATE TABLE search.embedding_model (
    singleton            boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    name                 text NOT NULL,
    dim                  integer NOT NULL,
    registered_at        timestamptz NOT NULL DEFAULT now(),
    sparse_dim           integer,
    storage              text NOT NULL DEFAULT 'vector' CHECK (storage IN ('vector', 'halfvec')),
    hnsw_m               integer NOT NULL DEFAULT 16 CHECK (hnsw_m BETWEEN 2 AND 100),
    hnsw_ef_construction integer NOT NULL DEFAULT 64 CHECK (hnsw_ef_construction BETWEEN 4 AND 1000)
);
COMMENT ON COLUMN search.embedding_model.sparse_dim IS
    'vocabulary size of the model''s lexical weights (NULL: none are stored)';
COMMENT ON COLUMN search.embedding_model.storage IS
    'vector (float4) or halfvec (float2): the type of the embedding columns and of the HNSW operator class';

-- Long documents are embedded as overlapping passages; the semantic leg searches these. The column
-- becomes vector(dim) or halfvec(dim), with its HNSW index, when the model is registered.
-- toast_tuple_target 4080: a row that fits two to a page keeps its vector inline (a halfvec(1024) row
-- is 2.1 kB, over the default 2 kB), so ranking reads each vector from its row, not from TOAST chunks
-- through the TOAST index; larger vectors (vector(1024) is 4.1 kB) still go to TOAST, half-empty pages
-- costing more than they save.
CREATE TABLE search.passages (
    doc_id     bigint NOT NULL,
    passage_no integer NOT NULL,
    start_char integer NOT NULL,
    end_char   integer NOT NULL,
    embedding  vector NOT NULL,
    PRIMARY KEY (doc_id, passage_no)
) WITH (toast_tuple_target = 4080);

-- One hit of search.keyword / semantic / sparse / hybrid: what GET /search returns per hit.
CREATE TYPE search.hit AS (
    id             text,
    title          text,
    url            text,
    snippet        text,
    score          double precision,
    keyword_rank   integer,
    keyword_score  double precision,
    semantic_rank  integer,
    semantic_score double precision,
    metadata       jsonb,
    passage_start  integer,
    sparse_rank    integer,
    sparse_score   double precision,
    pinyin_score   double precision
);
