"""The query syntax in real searches: a quoted phrase is required with its words adjacent (positions
from the tsvector), an excluded word or phrase leaves every leg (semantic hits too), syntax=plain
reads it all as text, and hostile input is never an error."""

from __future__ import annotations

import pytest
from psycopg_pool import ConnectionPool

from app.config import Settings
from app.embedding.base import Embedder
from app.embedding.loader import ModelHolder
from app.errors import EmptyQuery
from app.ingest.documents import Document
from app.ingest.pipeline import upsert_documents
from app.search import Mode, SearchRequest, SearchService

DOCS = [
    Document("pku", "北大", "北京大学的历史很长。"),
    Document("many", "大学", "北京的大学很多。"),
    Document("both", "两所", "清华大学和北京大学都在北京。"),
    Document("prc", "首都", "中华人民共和国的首都是北京。"),
    Document("mb", "bikes", "A mountain bike for kids."),
    Document("bm", "bikes", "A bike for the mountain, kids love it."),
]


@pytest.fixture
def service(pool: ConnectionPool, tiny_m3: Embedder, settings: Settings) -> SearchService:
    upsert_documents(pool, tiny_m3, DOCS)
    return SearchService(pool, ModelHolder.ready(tiny_m3), settings)


def ids(service: SearchService, q: str, mode: Mode = Mode.keyword, **options: object) -> set[str]:
    return {h.id for h in service.search(SearchRequest(q, mode, limit=50, **options)).hits}


def test_phrases_are_required_and_adjacent(service: SearchService) -> None:
    assert ids(service, '"北京大学"') == ids(service, '"北京 大学"') == {"pku", "both"}  # not 北京的大学
    assert ids(service, '"mountain bike"') == {"mb"}  # in order and adjacent
    # a word after a compound: the compound's sub-words share its position, so 共和国 is next to 的
    assert ids(service, '"共和国的首都"') == {"prc"}
    assert ids(service, '"北京大学" 历史') == {"pku", "both"}
    res = service.search(SearchRequest('"北京大学" 历史', Mode.keyword))
    assert res.hits[0].id == "pku" and res.terms == ["北京大学", "历史"]


def test_exclusions_leave_every_leg(service: SearchService) -> None:
    for mode in (Mode.keyword, Mode.semantic, Mode.hybrid):
        found = ids(service, "北京 大学 -清华", mode)
        assert found and "both" not in found, mode
        assert "mb" not in ids(service, 'kids -"mountain bike"', mode), mode
    assert ids(service, 'kids -"mountain bike"') == {"bm"}  # bm has both words, not the phrase


def test_plain_syntax_and_hostile_input(service: SearchService) -> None:
    assert "both" in ids(service, '"北京大学" -清华', syntax="plain")
    assert ids(service, '"北京大学" -清华', syntax="plain") >= ids(service, '"北京大学" -清华')
    for q in [
        '"北京 大学',
        "北京 OR 大学",
        "北京 -",
        "a & b | !c (d):* <-> 北京",
        "'); DROP TABLE documents; --",
    ]:
        service.search(SearchRequest(q, Mode.hybrid))  # an answer, never an error
    for q in ['"', "-", "OR", '""']:  # operators only, read as plain text: no searchable word
        with pytest.raises(EmptyQuery):
            service.search(SearchRequest(q, Mode.keyword))
    assert ids(service, "-北京") == ids(service, "北京")  # exclusions only: read as plain text
