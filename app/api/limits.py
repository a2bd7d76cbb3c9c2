"""Request size limit answered as JSON: a declared Content-Length above MAX_BODY_BYTES gets a 413 with a
`detail` before the body is read. (FastAPI's own `max_body_size` still stops bodies sent without a
length, in chunks, with a plain-text 413.)"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send


class ContentLengthLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            declared = dict(scope.get("headers") or []).get(b"content-length", b"")
            if declared.isdigit() and int(declared) > self.max_bytes:
                body = json.dumps(
                    {"detail": f"the request body is larger than {self.max_bytes} bytes"}
                ).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 413,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
