"""Text analysis shared by ingest and query time: normalisation, jieba tokens, tsvector literals."""

from app.text.tokenizer import (
    Token,
    analyze_text,
    analyzer,
    configure,
    document_tokens,
    normalize,
    query_terms,
    term_frequencies,
)
from app.text.tsvector import tsvector_literal

__all__ = [
    "Token",
    "analyze_text",
    "analyzer",
    "configure",
    "document_tokens",
    "normalize",
    "query_terms",
    "term_frequencies",
    "tsvector_literal",
]
