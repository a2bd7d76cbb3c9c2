"""/health: the process answers. /ready: the database answers, and the model's state."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.api.deps import StateDep
from app.api.schemas import HealthOut, ReadyOut

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthOut)
def health() -> HealthOut:
    return HealthOut(status="ok")


@router.get("/ready", response_model=ReadyOut, responses={503: {"model": ReadyOut}})
def ready(state: StateDep) -> JSONResponse:
    try:
        with state.pool.connection(timeout=5) as conn:
            conn.execute("SELECT 1")
        database = "ok"
    except Exception as exc:
        database = f"unavailable: {type(exc).__name__}"
    body = ReadyOut(
        database=database,
        model=state.models.status,
        model_name=state.settings.embedding_model,
        model_reason=state.models.reason if state.models.status != "ready" else None,
    )
    return JSONResponse(body.model_dump(), status_code=200 if database == "ok" else 503)
