"""HTTP load from a second process: the service runs in its own (`hybrid-search serve` on 127.0.0.1)
and this one sends a fixed number of requests with a bounded number in flight. Two loads: GET /search
alone (throughput), and searches mixed with upserts (errors and latency while the index is written)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import httpx

from app.bench.stats import latency_summary


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_service(database_url: str, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """`hybrid-search serve` against `database_url` in a child process; yields its base URL."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "HF_HUB_OFFLINE": "1", **(extra_env or {})}
    cmd = [sys.executable, "-c", "import sys; from app.cli import main; sys.exit(main(sys.argv[1:]))"]
    proc = subprocess.Popen(
        [*cmd, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-migrate"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                raise RuntimeError(f"the service exited with {proc.returncode}: {err[-2000:]}")
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the service did not answer /health within 60 s")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def wait_for_model(base: str, timeout: float = 600) -> None:
    """Block until the service's embedding model is loaded; RuntimeError with its reason if it failed."""
    deadline = time.monotonic() + timeout
    while True:
        ready = httpx.get(f"{base}/ready", timeout=10).json()
        if ready["model"] == "ready":
            return
        if ready["model"] == "failed":
            raise RuntimeError(f"the service could not load its model: {ready['model_reason']}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the service's model did not load within {timeout:.0f} s")
        time.sleep(0.2)


@dataclass(frozen=True)
class Call:
    """One request of a load: the bucket it is reported in, and what is sent."""

    kind: str
    method: str
    path: str
    params: dict[str, str] | None = None
    body: dict[str, Any] | None = None
    expect_written: int = 0  # an upsert's answer must account for this many documents


@dataclass
class Outcome:
    seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, kind: str, ms: float, error: str | None) -> None:
        self.latencies.setdefault(kind, []).append(ms)
        kinds = self.errors.setdefault(kind, {})
        if error is not None:
            kinds[error] = kinds.get(error, 0) + 1


async def _answer_error(call: Call, r: aiohttp.ClientResponse) -> str | None:
    """None when the answer is what the call expects, else a short name for the error."""
    if r.status != 200:
        await r.read()
        return str(r.status)
    if not call.expect_written:
        await r.read()
        return None
    body = await r.json()
    return None if body["written"] + body["unchanged"] == call.expect_written else "wrong count"


async def _send(
    base: str, calls: Sequence[Call], concurrency: int, headers: dict[str, str] | None = None
) -> Outcome:
    """Every call once, in order, `concurrency` in flight. An upsert waits for the one before it that
    wrote the same ids (a site does not race its own writes of one document, and the check after a
    mixed load expects each id's last upsert to be the last stored)."""
    out = Outcome()
    pending = iter(calls)
    last_write: dict[str, asyncio.Event] = {}
    # aiohttp: about a third of httpx's client CPU per request, which shares the cores with the service.
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(base, connector=connector, timeout=timeout, headers=headers) as client:

        async def worker() -> None:
            for call in pending:
                done = asyncio.Event()
                before = []
                for doc in (call.body or {}).get("documents", []):  # no await: taken in order
                    if (previous := last_write.get(doc["id"])) is not None:
                        before.append(previous)
                    last_write[doc["id"]] = done
                for previous in before:
                    await previous.wait()
                t0 = time.perf_counter()
                error: str | None
                try:
                    async with client.request(
                        call.method, call.path, params=call.params, json=call.body
                    ) as r:
                        error = await _answer_error(call, r)
                except (aiohttp.ClientError, TimeoutError) as exc:
                    error = type(exc).__name__
                finally:
                    done.set()
                out.add(call.kind, (time.perf_counter() - t0) * 1000, error)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        out.seconds = time.perf_counter() - start
    return out


def _summary(latencies: Sequence[float], errors: dict[str, int], seconds: float) -> dict[str, Any]:
    return {
        "requests": len(latencies),
        "seconds": round(seconds, 2),
        "rps": round(len(latencies) / seconds, 1) if seconds else None,
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "latency_ms": latency_summary(list(latencies)),
    }


def _merged(out: Outcome, kinds: Sequence[str]) -> tuple[list[float], dict[str, int]]:
    latencies = [ms for k in kinds for ms in out.latencies.get(k, [])]
    errors: dict[str, int] = {}
    for k in kinds:
        for name, n in out.errors.get(k, {}).items():
            errors[name] = errors.get(name, 0) + n
    return latencies, errors


def _run(base: str, calls: Sequence[Call], concurrency: int, headers: dict[str, str] | None) -> Outcome:
    return asyncio.run(_send(base, calls, concurrency, headers))


def http_load(
    base: str, queries: Sequence[str], mode: str, requests: int, concurrency: int
) -> dict[str, Any]:
    """`requests` GET /search calls, `concurrency` at a time, cycling through `queries`."""
    calls = [
        Call(mode, "GET", "/search", {"q": queries[i % len(queries)], "mode": mode, "limit": "10"})
        for i in range(requests)
    ]
    _run(base, calls[:50], min(concurrency, 4), None)  # warm-up: pool, caches
    out = _run(base, calls, concurrency, None)
    return {"concurrency": concurrency, **_summary(*_merged(out, [mode]), out.seconds)}


SEARCH_MODES = ("keyword", "semantic", "hybrid")
MIXED_ID_PREFIX = "bench-mixed-"


@dataclass
class MixedPlan:
    calls: list[Call]
    final: dict[str, str]  # document id -> the text its last upsert wrote (what must be stored after)


def mixed_calls(
    queries: Sequence[str], texts: Sequence[str], requests: int, write_share: float, batch: int
) -> MixedPlan:
    """`requests` calls, a `write_share` of them POST /documents of `batch` documents, spread evenly;
    the others GET /search, each query through each mode in turn. Writes go to new ids (prefix
    bench-mixed-), each id written about twice (an insert, then a replace with other text), so both
    paths of an upsert run while searches read."""
    writes = int(requests * write_share)
    ids = max(batch, writes * batch // 2)
    calls: list[Call] = []
    final: dict[str, str] = {}
    searches = 0
    for i in range(requests):
        if (i + 1) * writes // requests > i * writes // requests:  # write number j, evenly spread
            j = (i + 1) * writes // requests - 1
            docs = []
            for b in range(batch):
                n = j * batch + b
                doc_id, text = f"{MIXED_ID_PREFIX}{n % ids}", f"{texts[n % len(texts)]}（第{j}次写入）"
                docs.append({"id": doc_id, "title": f"mixed {n % ids}", "text": text})
                final[doc_id] = text
            distinct = len({d["id"] for d in docs})
            calls.append(
                Call("upsert", "POST", "/documents", body={"documents": docs}, expect_written=distinct)
            )
        else:
            mode, q = SEARCH_MODES[searches % 3], queries[(searches // 3) % len(queries)]
            calls.append(Call(mode, "GET", "/search", {"q": q, "mode": mode, "limit": "10"}))
            searches += 1
    return MixedPlan(calls, final)


def mixed_load(
    base: str, plan: MixedPlan, concurrency: int, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """The whole plan, searches and upserts interleaved, `concurrency` in flight; then, as the baseline,
    the plan's searches alone with as many in flight as searches averaged during the mix (Little's law:
    summed search time over wall time), so the two differ only by the writes. Reports errors and
    latency per kind, and how much slower searches got beside the writes."""
    searches = [c for c in plan.calls if c.kind != "upsert"]
    _run(base, searches[:50], min(concurrency, 4), headers)  # warm-up: pool, caches
    mixed = _run(base, plan.calls, concurrency, headers)
    kinds = [k for k in (*SEARCH_MODES, "upsert") if k in mixed.latencies]
    mixed_search = _summary(*_merged(mixed, SEARCH_MODES), mixed.seconds)
    in_flight = sum(_merged(mixed, SEARCH_MODES)[0]) / 1000 / mixed.seconds if mixed.seconds else 1.0
    alone_concurrency = max(1, round(in_flight))
    alone = _run(base, searches, alone_concurrency, headers)
    alone_all = _summary(*_merged(alone, SEARCH_MODES), alone.seconds)
    total = _summary(*_merged(mixed, kinds), mixed.seconds)
    ratio = {
        p: round(mixed_search["latency_ms"][p] / alone_all["latency_ms"][p], 2)
        for p in ("p50", "p99")
        if alone_all["latency_ms"].get(p)
    }
    error_kinds = dict(total["error_kinds"])
    for name, n in alone_all["error_kinds"].items():
        error_kinds[name] = error_kinds.get(name, 0) + n
    return {
        "concurrency": concurrency,
        **total,
        "errors": sum(error_kinds.values()),  # both runs: the mix, and the searches alone
        "error_kinds": error_kinds,
        "by_kind": {k: _summary(*_merged(mixed, [k]), mixed.seconds) for k in kinds},
        "documents_written": sum(len(c.body["documents"]) for c in plan.calls if c.body),
        "searches_in_flight_mean": round(in_flight, 2),
        "searches_alone": {"concurrency": alone_concurrency, **alone_all},
        "search_latency_ratio_mixed_to_alone": ratio,
    }
