"""API keys. Writes (POST/DELETE /documents) need one of API_KEYS, sent as `Authorization: Bearer KEY` or
`X-API-Key: KEY`; with no keys configured, writes are open to loopback clients only (local development,
`make run`), never to the network. Reads (search, similar, documents, analyze) are open unless
SEARCH_REQUIRES_KEY is set. Missing key: 401; wrong key: 403."""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import HTTPException, Request, status

from app.api.deps import StateDep


def presented_key(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    key = request.headers.get("x-api-key", "").strip()
    return key or None


def is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check(request: Request, keys: list[str], what: str) -> None:
    given = presented_key(request)
    if given is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            f"{what} needs an API key: send Authorization: Bearer KEY or X-API-Key: KEY",
            headers={"WWW-Authenticate": "Bearer"},
        )
    # every key compared in constant time, so timing does not tell how much of a key was right
    if not any(hmac.compare_digest(given.encode(), k.encode()) for k in keys):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the API key is not valid")


def require_writer(request: Request, state: StateDep) -> None:
    keys = state.settings.api_keys
    if keys:
        _check(request, keys, "writing")
    elif not is_loopback(request.client.host if request.client else None):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "writes are open only to this machine until the server sets API_KEYS",
        )


def require_reader(request: Request, state: StateDep) -> None:
    if state.settings.search_requires_key:
        _check(request, state.settings.api_keys, "searching")
