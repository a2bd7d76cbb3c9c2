"""HTTP throughput and latency of GET /search: the service runs in its own process (`hybrid-search
serve` on 127.0.0.1), and this process sends a fixed number of requests with a bounded number in flight."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
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


async def _load(
    base: str, params: Sequence[dict[str, Any]], requests: int, concurrency: int
) -> dict[str, Any]:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    counter = iter(range(requests))
    # aiohttp: about a third of httpx's client CPU per request, which shares the cores with the service.
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(base, connector=connector, timeout=timeout) as client:

        async def worker() -> None:
            for i in counter:
                t0 = time.perf_counter()
                try:
                    async with client.get("/search", params=params[i % len(params)]) as r:
                        await r.read()
                        if r.status != 200:
                            errors[str(r.status)] = errors.get(str(r.status), 0) + 1
                except (aiohttp.ClientError, TimeoutError) as exc:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                latencies.append((time.perf_counter() - t0) * 1000)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - start
    return {
        "requests": requests,
        "concurrency": concurrency,
        "seconds": round(wall, 2),
        "rps": round(requests / wall, 1),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "latency_ms": latency_summary(latencies),
    }


def http_load(
    base: str, queries: Sequence[str], mode: str, requests: int, concurrency: int
) -> dict[str, Any]:
    """`requests` GET /search calls, `concurrency` at a time, cycling through `queries`."""
    params = [{"q": q, "mode": mode, "limit": "10"} for q in queries]
    asyncio.run(_load(base, params, min(50, requests), min(concurrency, 4)))  # warm-up: pool, caches
    return asyncio.run(_load(base, params, requests, concurrency))
