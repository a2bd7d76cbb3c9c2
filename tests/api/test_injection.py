"""No SQL is ever built from user text: injection payloads in every parameter, filter key and value,
document field and path end as data (stored verbatim, or refused with a 4xx), never as SQL."""

from __future__ import annotations

import json
import time

from fastapi.testclient import TestClient
from psycopg_pool import ConnectionPool

from app.api.main import create_app
from app.config import Settings
from app.embedding.base import Embedder
from app.embedding.loader import ModelHolder
from tests.conftest import LOCAL_CLIENT

PAYLOADS = [
    "'; DROP TABLE documents; --",
    "' OR '1'='1",
    "1); SELECT pg_sleep(3); --",
    "$$; DROP TABLE search.postings; $$",
    "\\'; DELETE FROM documents; --",
    "%(terms)s",
    "{}",
    "北京' || (SELECT version()) || '",
    '"); DROP TABLE search.term_stats; --',
    "a:* & !b | (c <-> d)",
]


def _tables(pool: ConnectionPool) -> dict[str, int]:
    with pool.connection() as conn:
        return {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # fixed names, not user text
            for t in ("documents", "search.postings", "search.term_stats", "search.passages")
        }


def test_injection_payloads_are_only_data(
    pool: ConnectionPool, settings: Settings, tiny_m3: Embedder
) -> None:
    app = create_app(settings, pool=pool, models=ModelHolder.ready(tiny_m3))
    with TestClient(app, client=LOCAL_CLIENT) as c:
        base = {
            "documents": [
                {"id": "base", "title": "北京", "text": "北京是中国的首都。", "metadata": {"k": "v"}}
            ]
        }
        assert c.post("/documents", json=base).status_code == 200
        before = _tables(pool)
        for p in PAYLOADS:
            t0 = time.monotonic()
            answers = [
                c.get("/search", params={"q": p}),
                c.get("/search", params={"q": p, "mode": "keyword"}),
                c.get("/search", params={"q": "北京", "mode": p}),
                c.get("/search", params={"q": "北京", "fusion": p}),
                c.get("/search", params={"q": "北京", "limit": p, "offset": p}),
                c.get("/search", params={"q": "北京", "filters": p}),
                c.get("/search", params={"q": "北京", "filters": json.dumps({p: p})}),
                c.get("/search", params={"q": "北京", "filters": json.dumps({"k": {"any": [p]}})}),
                c.get("/search", params={"q": "北京", "filters": json.dumps({p: {"gte": p}})}),
                c.get("/search", params={"q": "北京", "filters": json.dumps({"k": {"exists": p}})}),
                c.post("/search", json={"q": p, "mode": "keyword", "filters": {p: {"lte": p}}}),
                c.get(f"/documents/{p}"),
                c.get(f"/documents/{p}/similar"),
                c.post("/similar", json={"text": p, "filters": {p: p}}),
                c.get("/analyze", params={"text": p}),
                c.delete(f"/documents/{p}"),
            ]
            for r in answers:
                assert r.status_code < 500, (p, r.request.url, r.status_code, r.text)
            assert time.monotonic() - t0 < 10, "a payload slept"  # pg_sleep(3) never ran
        assert _tables(pool) == before  # nothing dropped, deleted or added

        # Stored as data: payloads in every field come back verbatim.
        docs = [
            {
                "id": p,
                "title": p,
                "text": p + " 北京",
                "url": "https://example.org/?q=" + p,
                "metadata": {p: p},
            }
            for p in PAYLOADS
        ]
        assert c.post("/documents", json={"documents": docs}).status_code == 200
        for d in docs:
            got = c.get(f"/documents/{d['id']}")
            assert got.status_code == 200
            body = got.json()
            assert (body["id"], body["title"], body["text"], body["url"], body["metadata"]) == (
                d["id"],
                d["title"],
                d["text"],
                d["url"],
                d["metadata"],
            )
        hits = c.get("/search", params={"q": "北京", "mode": "keyword", "limit": 20}).json()["hits"]
        assert {h["id"] for h in hits} >= {"base", *PAYLOADS}
        for p in PAYLOADS:  # a filter on a payload key and value finds exactly that document
            if "." in p:
                continue  # a dotted key is a path into nested fields (documented), not this flat key
            r = c.post("/search", json={"q": "北京", "mode": "keyword", "filters": {p: p}})
            assert r.status_code in (200, 422), r.text
            if r.status_code == 200:
                assert [h["id"] for h in r.json()["hits"]] == [p]
        for p in PAYLOADS:
            assert c.delete(f"/documents/{p}").status_code == 204
        assert _tables(pool)["documents"] == before["documents"]


def test_nul_characters_are_refused_or_dropped(
    pool: ConnectionPool, settings: Settings, tiny_m3: Embedder
) -> None:
    """Postgres text cannot hold NUL: documents lose it (as from a file), other places answer 4xx."""
    with TestClient(
        create_app(settings, pool=pool, models=ModelHolder.ready(tiny_m3)), client=LOCAL_CLIENT
    ) as c:
        doc = {
            "id": "n\x00ul",
            "title": "t\x00",
            "text": "北京\x00上海",
            "url": "u\x00",
            "metadata": {"k\x00": "v\x00"},
        }
        assert c.post("/documents", json={"documents": [doc]}).status_code == 200
        got = c.get("/documents/nul").json()
        assert (got["title"], got["text"], got["url"], got["metadata"]) == ("t", "北京上海", "u", {"k": "v"})
        assert c.post("/documents", json={"documents": [{"id": "\x00", "text": "x"}]}).status_code == 422
        for path in ("/documents/a%00b", "/documents/a%00b/similar"):
            assert c.get(path).status_code in (404, 422), path
        assert c.delete("/documents/a%00b").status_code in (404, 422)
        assert c.get("/search", params={"q": "北京\x00", "filters": '{"k\\u0000": "v"}'}).status_code < 500


def test_lone_surrogates_and_unknown_fields_answer_4xx(
    pool: ConnectionPool, settings: Settings, tiny_m3: Embedder
) -> None:
    """A JSON body may carry a lone surrogate (`\\ud800`), which UTF-8 cannot: such text is refused with
    a 422 that echoes it back as the same escape, or, in a document's free-form fields, becomes U+FFFD
    (as from a file). A misspelt body field is refused, not ignored. (Found attacking a running build:
    these were 500s.)"""
    as_json = {"content-type": "application/json"}
    with TestClient(
        create_app(settings, pool=pool, models=ModelHolder.ready(tiny_m3)), client=LOCAL_CLIENT
    ) as c:
        for path, raw in [
            ("/search", '{"q": "\\ud800北京"}'),
            ("/search", '{"q": "北京", "mode": "keyword", "filters": {"\\ud800": "\\udc00"}}'),
            ("/search", '{"q": "北京", "filters": {"k": {"any": ["\\udfff"]}}}'),
            ("/similar", '{"text": "\\ud800北京"}'),
            ("/documents", '{"documents": [{"id": "\\ud800", "text": "x"}]}'),
        ]:
            r = c.post(path, content=raw, headers=as_json)
            assert r.status_code == 422 and "detail" in r.json(), (path, raw, r.text)
        doc = '{"id": "s", "title": "北\\udfff", "url": "\\udfff", "metadata": {"\\ud800": ["\\udc00"]}}'
        r = c.post("/documents", content='{"documents": [' + doc + "]}", headers=as_json)
        assert r.status_code == 200, r.text
        got = c.get("/documents/s").json()
        assert (got["title"], got["url"], got["metadata"]) == ("北\ufffd", "\ufffd", {"\ufffd": ["\ufffd"]})

        r = c.post("/search", json={"q": "北京", "filter": {"k": "v"}})
        assert r.status_code == 422 and r.json()["detail"][0]["type"] == "extra_forbidden"
        unknown = {"id": "x", "text": "北京", "category": "c"}
        assert c.post("/documents", json={"documents": [unknown]}).status_code == 422
        assert c.post("/similar", json={"text": "北京", "k": 3}).status_code == 422
