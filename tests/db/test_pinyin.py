"""Pinyin in real searches: a title typed in pinyin (spaced, joined, initials) finds its document;
pinyin-only matches rank after every character match; same-sound words stay apart in character search;
English queries rank as without pinyin; filters, paging and analysts' SQL agree."""

from __future__ import annotations

import pytest
from psycopg_pool import ConnectionPool

from app.config import Settings
from app.embedding.base import Embedder
from app.embedding.loader import ModelHolder
from app.ingest.documents import Document
from app.ingest.pipeline import upsert_documents
from app.search import Mode, SearchRequest, SearchService
from app.search.request import SearchResult

DOCS = [
    Document("pku", "北京大学", "一所大学的历史。", metadata={"kind": "school"}),
    Document("bj", "北京", "中国的首都。", metadata={"kind": "city"}),
    Document("bg", "背景", "故事的背景。", metadata={"kind": "word"}),  # bei jing too
    Document("spot", "景点", "值得一去的地方。"),
    Document("classic", "经典", "值得一读的书。"),  # jing dian too
    Document("cq", "重庆", "山城。"),
    Document("latin", "Beijing in English", "Beijing is the capital, written in Latin letters."),
    Document("mb", "Mountain bike", "A mountain bike for kids."),
    Document("bm", "Bikes", "A bike for the mountain, kids love it."),
    Document("road", "Road bike", "A light road bike."),
    Document("bike-zh", "比克", "一个名字。"),  # bi ke
]


@pytest.fixture
def service(pool: ConnectionPool, tiny_m3: Embedder, settings: Settings) -> SearchService:
    upsert_documents(pool, tiny_m3, DOCS)
    return SearchService(pool, ModelHolder.ready(tiny_m3), settings)


def search(service: SearchService, q: str, mode: Mode = Mode.keyword, **options: object) -> SearchResult:
    return service.search(SearchRequest(q, mode, **{"limit": 50, **options}))


def ids(service: SearchService, q: str, mode: Mode = Mode.keyword, **options: object) -> list[str]:
    return [h.id for h in search(service, q, mode, **options).hits]


@pytest.mark.parametrize("q", ["beijing daxue", "beijingdaxue", "BeiJing DaXue", "bjdx"])
def test_a_title_typed_in_pinyin_finds_it(service: SearchService, q: str) -> None:
    result = search(service, q)
    assert result.pinyin is not None
    # "beijing" alone is a word of `latin`: holding part of the query, it ranks after the pinyin match
    spaced = " " in q
    assert [h.id for h in result.hits] == (["pku", "latin"] if spaced else ["pku"])
    hit = result.hits[0]
    assert hit.keyword_rank == 1 and hit.keyword_score is None and hit.pinyin_score == 0.25
    assert "pku" in ids(service, q, Mode.hybrid)[:2]  # the tiny model's semantic leg has its say


def test_the_shortest_title_first(service: SearchService) -> None:
    found = ids(service, "bj")
    assert set(found[:2]) == {"bg", "bj"} and found[2] == "pku"  # two syllables (a tie), then four


def test_same_sound_words_stay_apart_in_character_search(service: SearchService) -> None:
    assert ids(service, "景点") == ["spot"]
    assert ids(service, "经典") == ["classic"]
    assert set(ids(service, "jingdian")) == {"spot", "classic"}  # pinyin is where they meet


def test_polyphonic_characters_read_by_word(service: SearchService) -> None:
    assert ids(service, "chongqing") == ["cq"]
    assert ids(service, "zhongqing") == []


def test_a_character_match_ranks_above_every_pinyin_match(service: SearchService) -> None:
    result = search(service, "beijing")
    assert [h.id for h in result.hits][0] == "latin" and result.hits[0].keyword_score is not None
    assert {h.id for h in result.hits[1:]} == {"bj", "bg", "pku"}
    assert all(h.pinyin_score is not None and h.score == 0 for h in result.hits[1:])
    hybrid = search(service, "beijing", Mode.hybrid)
    ranks = {h.id: h.keyword_rank for h in hybrid.hits}
    assert ranks["latin"] == 1 and {ranks["bj"], ranks["bg"], ranks["pku"]} == {2, 3, 4}


@pytest.mark.parametrize("q", ["bike", "mountain bike", "bikes for kids"])
@pytest.mark.parametrize("mode", [Mode.keyword, Mode.hybrid])
def test_english_ranks_as_without_pinyin(service: SearchService, q: str, mode: Mode) -> None:
    with_pinyin = [h for h in search(service, q, mode).hits if h.id != "bike-zh"]
    without = [h for h in search(service, q, mode, pinyin=False).hits if h.id != "bike-zh"]
    assert [(h.id, h.score) for h in with_pinyin] == [(h.id, h.score) for h in without]
    if q == "bike":  # 比克 reads bi ke: found, after every document holding the word
        found = ids(service, q)
        assert found[-1] == "bike-zh" and set(found[:-1]) == {"mb", "bm", "road"}


def test_filters_and_exclusions_apply_to_pinyin_matches(service: SearchService) -> None:
    assert ids(service, "bj", filters={"kind": "city"}) == ["bj"]
    assert ids(service, "bj", filters={"kind": {"any": ["school", "word"]}}) == ["bg", "pku"]
    assert "pku" not in ids(service, "bj -大学")


def test_pages_are_slices_of_one_list(service: SearchService) -> None:
    whole = ids(service, "beijing")
    pages = [h.id for o in range(len(whole)) for h in search(service, "beijing", limit=1, offset=o).hits]
    assert pages == whole and len(whole) == 4


def test_analysts_sql_gives_the_same(service: SearchService, pool: ConnectionPool) -> None:
    result = search(service, "beijing")
    with pool.connection() as conn:
        rows = conn.execute(
            "SELECT id, pinyin_score FROM search.keyword("
            "  %s, 10, 0, filter => jsonb_build_object('pinyin', %s::text))",
            [result.terms, result.pinyin],
        ).fetchall()
    assert rows == [(h.id, h.pinyin_score) for h in result.hits]


def test_pinyin_off_and_the_vector_modes_never_read_it(service: SearchService) -> None:
    assert ids(service, "bjdx", pinyin=False) == []
    assert search(service, "bjdx", pinyin=False).pinyin is None
    assert search(service, "bjdx", Mode.semantic).pinyin is None
