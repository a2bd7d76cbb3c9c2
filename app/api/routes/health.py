"""/health: the process answers. /ready: the database answers, and the model's state."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from psycopg_pool import ConnectionPool

from app.api.deps import StateDep
from app.api.schemas import HealthOut, ReadyOut

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthOut)
def health() -> HealthOut:
    return HealthOut(status="ok")


def _probe(pool: ConnectionPool, timeout: float = 5) -> str:
    try:
        with pool.connection(timeout=timeout) as conn:
            conn.execute("SELECT 1")
        return "ok"
    except Exception as exc:
        return f"unavailable: {type(exc).__name__}"


@router.get("/ready", response_model=ReadyOut, responses={503: {"model": ReadyOut}})
def ready(state: StateDep) -> JSONResponse:
    body = ReadyOut(
        database=_probe(state.pool),
        model=state.models.status,
        model_name=state.settings.embedding_model,
        model_reason=state.models.reason if state.models.status != "ready" else None,
        replicas={str(p.name): _probe(p, timeout=2) for p in state.search.reads.replicas},
    )
    return JSONResponse(body.model_dump(), status_code=200 if body.database == "ok" else 503)
