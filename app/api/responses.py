"""The JSON response every route and error handler answers with."""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel


class SafeJSONResponse(JSONResponse):
    """starlette's JSONResponse, except that a lone surrogate (which a request may carry as a JSON
    `\\ud800` escape, and a 422 echoes back) is written as that escape again instead of failing the
    response with a UnicodeEncodeError (a 500)."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))
        # Only a surrogate can fail to encode, and only inside a JSON string, where `\udXXX` is its escape.
        return text.encode("utf-8", "backslashreplace")


def model_response(body: BaseModel, cache_seconds: int = 0) -> Response:
    """An answer serialised once by its model (returning the model would validate it again and go
    through FastAPI's generic encoder), cacheable for `cache_seconds` (0: `no-cache`)."""
    cache = f"public, max-age={cache_seconds}" if cache_seconds > 0 else "no-cache"
    return Response(body.model_dump_json(), media_type="application/json", headers={"Cache-Control": cache})
