"""The same corpus, vectors and queries through LanceDB (its native full-text index, an IVF_HNSW_SQ
vector index and its RRF reranker), fed the same jieba tokens space-joined, so both engines score the
same terms. Optional: needs the `bench` extra (`pip install -e '.[bench]'`)."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from app.bench.queries import BenchQuery
from app.bench.stats import latency_summary, recall_at
from app.text import query_terms


def available() -> bool:
    try:
        import lancedb  # noqa: F401
    except ImportError:
        return False
    return True


def run_lancedb(
    ids: Sequence[str],
    token_texts: Sequence[str],
    vectors: np.ndarray,
    queries: Sequence[BenchQuery],
    qvecs: np.ndarray,
    rrf_k: int,
) -> dict[str, Any]:
    import lancedb
    import pyarrow as pa
    from lancedb.rerankers import RRFReranker

    out: dict[str, Any] = {"version": lancedb.__version__}
    dim = vectors.shape[1]
    with tempfile.TemporaryDirectory(prefix="bench-lancedb-") as tmp:
        db = lancedb.connect(tmp)
        t0 = time.perf_counter()
        table = pa.table(
            {
                "id": pa.array(list(ids)),
                "text": pa.array(list(token_texts)),
                "vector": pa.FixedSizeListArray.from_arrays(
                    pa.array(vectors.astype(np.float32).ravel()), dim
                ),
            }
        )
        tbl = db.create_table("docs", data=table)
        out["ingest_s"] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        tbl.create_fts_index(
            "text",
            base_tokenizer="whitespace",
            lower_case=False,
            stem=False,
            remove_stop_words=False,
            ascii_folding=False,
            with_position=False,
        )
        out["fts_build_s"] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        tbl.create_index(metric="cosine", vector_column_name="vector", index_type="IVF_HNSW_SQ")
        out["vector_build_s"] = round(time.perf_counter() - t0, 2)

        texts = [" ".join(query_terms(q.text)) for q in queries]
        reranker = RRFReranker(K=rrf_k)

        def fts(i: int) -> list[str]:
            rows = tbl.search(texts[i], query_type="fts").limit(10).select(["id", "_score"]).to_list()
            return [r["id"] for r in rows]

        def vec(i: int) -> list[str]:
            rows = (
                tbl.search(qvecs[i]).distance_type("cosine").limit(10).select(["id", "_distance"]).to_list()
            )
            return [r["id"] for r in rows]

        def hybrid(i: int) -> list[str]:
            q = tbl.search(query_type="hybrid").vector(qvecs[i]).text(texts[i]).rerank(reranker)
            return [r["id"] for r in q.limit(10).to_list()]

        found: dict[str, list[list[str]]] = {}
        for name, fn in (("keyword", fts), ("semantic", vec), ("hybrid", hybrid)):
            for i in range(min(20, len(queries))):
                fn(i)
            ms, got = [], []
            for i in range(len(queries)):
                t0 = time.perf_counter()
                try:
                    got.append(fn(i))
                except Exception as exc:  # an engine's refusal is a result here, not a crash of the bench
                    got.append([])
                    out.setdefault("errors", {}).setdefault(name, str(exc)[:200])
                ms.append((time.perf_counter() - t0) * 1000)
            out[name] = {"latency_ms": latency_summary(ms)}
            found[name] = got
        norms = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        exact = [[ids[j] for j in np.argsort(-(norms @ q))[:10]] for q in qvecs]
        out["semantic"]["recall@10"] = round(
            float(np.mean([recall_at(f, t) for f, t in zip(found["semantic"], exact, strict=True)])), 4
        )
    return out
