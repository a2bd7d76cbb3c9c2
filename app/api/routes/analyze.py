"""GET /analyze: the tokens a text becomes, as a document (indexed) or as a query."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from app.api.auth import require_reader
from app.api.deps import SettingsDep
from app.errors import InvalidQuery
from app.text import analyze_text

router = APIRouter(tags=["analyze"], dependencies=[Depends(require_reader)])


@router.get("/analyze")
def analyze(
    settings: SettingsDep,
    text: Annotated[str, Query(min_length=1, description="The text to analyse.")],
    mode: Literal["document", "query"] = "document",
) -> dict[str, Any]:
    """Documents use jieba's search mode (sub-words too), queries its precise mode; both drop stop words
    and stem Latin-script words. Offsets are into `normalized`."""
    if len(text) > settings.max_query_chars * 100:
        raise InvalidQuery(f"text longer than {settings.max_query_chars * 100} characters")
    return analyze_text(text, mode == "query")
