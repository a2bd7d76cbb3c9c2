"""POST /events: a click on a search result, from the page (navigator.sendBeacon) or a site's own code.
Checked against the search that showed the document (404 for an unknown search id, 422 for a document
it did not show there), queued, and written in batches (app/search/events.py)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Request

from app.api.auth import require_reader
from app.api.deps import StateDep, request_client
from app.api.schemas import EventIn
from app.errors import NotFound
from app.search.events import Click

router = APIRouter(tags=["events"], dependencies=[Depends(require_reader)])


@router.post("/events", status_code=202)
def record_event(state: StateDep, body: EventIn, request: Request) -> dict[str, str]:
    """Accepted (202): the click is stored with the next batch, within seconds."""
    if state.events is None:
        raise NotFound("events are off: clicks are checked against the query log, and QUERY_LOG is false")
    client = body.client or request_client(request)
    click = Click(dt.datetime.now(dt.UTC), str(body.search_id), body.id, body.position, client)
    state.events.accept(click)
    return {"status": "accepted"}
