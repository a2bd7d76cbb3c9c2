"""The same corpus, vectors and queries through Milvus Lite (pymilvus on a local .db file): its BM25
function over the same jieba tokens (space-joined; its standard analyzer splits on non-word characters,
so each token stays whole), an HNSW index (cosine, the same m, ef_construction and ef_search as ours) and
hybrid search with its RRFRanker. Optional: needs the `bench` extra (`pip install -e '.[bench]'`).
Milvus Lite 3 is pure Python and keeps BM25 statistics per segment (its README), so its keyword scores
are close to, not equal to, corpus-wide BM25."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from app.bench.queries import BenchQuery
from app.bench.stats import latency_summary, recall_at
from app.text import query_terms

BATCH = 2000
# Milvus Lite 3 answers in Python, hundreds of ms a query: a prefix of the query set keeps the run short
# (the kinds are interleaved, so the prefix has all four). Latency only: the same queries for each mode.
MAX_QUERIES = 100


def available() -> bool:
    try:
        import milvus_lite  # noqa: F401
        import pymilvus  # noqa: F401
    except ImportError:
        return False
    return True


def run_milvus(
    ids: Sequence[str],
    token_texts: Sequence[str],
    vectors: np.ndarray,
    queries: Sequence[BenchQuery],
    qvecs: np.ndarray,
    rrf_k: int,
    hnsw: tuple[int, int, int],
) -> dict[str, Any]:
    """`hnsw` is (m, ef_construction, ef_search)."""
    import milvus_lite
    from pymilvus import AnnSearchRequest, DataType, Function, FunctionType, MilvusClient, RRFRanker

    m, ef_construction, ef_search = hnsw
    queries, qvecs = queries[:MAX_QUERIES], qvecs[:MAX_QUERIES]
    out: dict[str, Any] = {"version": getattr(milvus_lite, "__version__", "?"), "queries": len(queries)}
    dim = vectors.shape[1]
    with tempfile.TemporaryDirectory(prefix="bench-milvus-") as tmp:
        client = MilvusClient(str(Path(tmp) / "bench.db"))
        try:
            schema = MilvusClient.create_schema(auto_id=False)
            schema.add_field("id", DataType.INT64, is_primary=True)
            schema.add_field(
                "text",
                DataType.VARCHAR,
                max_length=65535,
                enable_analyzer=True,
                analyzer_params={"tokenizer": "standard"},
            )
            schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
            schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
            schema.add_function(
                Function(
                    name="bm25",
                    function_type=FunctionType.BM25,
                    input_field_names=["text"],
                    output_field_names=["sparse"],
                )
            )
            client.create_collection("docs", schema=schema)
            t0 = time.perf_counter()
            vecs = vectors.astype(np.float32)
            for start in range(0, len(ids), BATCH):
                rows = [
                    {"id": i, "text": token_texts[i], "vector": vecs[i].tolist()}
                    for i in range(start, min(start + BATCH, len(ids)))
                ]
                client.insert("docs", rows)
            out["ingest_s"] = round(time.perf_counter() - t0, 2)
            t0 = time.perf_counter()
            params = client.prepare_index_params()
            params.add_index(
                field_name="sparse",
                index_type="SPARSE_INVERTED_INDEX",
                metric_type="BM25",
                params={"bm25_k1": 1.2, "bm25_b": 0.75},
            )
            params.add_index(
                field_name="vector",
                index_type="HNSW",
                metric_type="COSINE",
                params={"M": m, "efConstruction": ef_construction},
            )
            client.create_index("docs", params)
            client.load_collection("docs")
            out["index_build_s"] = round(time.perf_counter() - t0, 2)

            texts = [" ".join(query_terms(q.text)) for q in queries]
            dense = {"metric_type": "COSINE", "params": {"ef": ef_search}}

            def keyword(i: int) -> list[int]:
                res = client.search("docs", data=[texts[i]], anns_field="sparse", limit=10)
                return [int(h["id"]) for h in res[0]]

            def semantic(i: int) -> list[int]:
                res = client.search(
                    "docs", data=[qvecs[i].tolist()], anns_field="vector", limit=10, search_params=dense
                )
                return [int(h["id"]) for h in res[0]]

            def hybrid(i: int) -> list[int]:
                reqs = [
                    AnnSearchRequest(data=[texts[i]], anns_field="sparse", param={}, limit=100),
                    AnnSearchRequest(data=[qvecs[i].tolist()], anns_field="vector", param=dense, limit=100),
                ]
                res = client.hybrid_search("docs", reqs, ranker=RRFRanker(rrf_k), limit=10)
                return [int(h["id"]) for h in res[0]]

            found: dict[str, list[list[int]]] = {}
            for name, fn in (("keyword", keyword), ("semantic", semantic), ("hybrid", hybrid)):
                for i in range(min(20, len(queries))):
                    _attempt(fn, i, out, name)
                ms, got = [], []
                for i in range(len(queries)):
                    t0 = time.perf_counter()
                    got.append(_attempt(fn, i, out, name))
                    ms.append((time.perf_counter() - t0) * 1000)
                out[name] = {"latency_ms": latency_summary(ms)}
                found[name] = got
        finally:
            client.close()
    norms = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    exact = [list(np.argsort(-(norms @ q))[:10]) for q in qvecs]
    out["semantic"]["recall@10"] = round(
        float(
            np.mean(
                [recall_at(f, [int(x) for x in t]) for f, t in zip(found["semantic"], exact, strict=True)]
            )
        ),
        4,
    )
    return out


def _attempt(fn: Any, i: int, out: dict[str, Any], name: str) -> list[int]:
    """An engine's refusal is a result here (recorded once per mode), not a crash of the bench."""
    try:
        return list(fn(i))
    except Exception as exc:
        out.setdefault("errors", {}).setdefault(name, str(exc)[:200])
        return []
