"""The search page at `/`: plain HTML, CSS and one script, served from app/api/static (no build step)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(include_in_schema=False)


@router.get("/")
def page() -> FileResponse:
    # no-cache: browsers revalidate (ETag), so a new release shows at once.
    return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})
