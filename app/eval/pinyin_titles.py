"""Known-item search in pinyin: each document's title typed three ways (syllables spaced, joined,
initials) must find a document with that title near the top. The syllables are pypinyin's toneless
word-level readings of the title."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from app.errors import InvalidQuery
from app.eval.runner import Progress, no_progress
from app.search import Mode, SearchRequest, SearchService
from app.text import analyzer

FORMS = ("full", "joined", "initials")
DEPTH = 3
_HAN_ONLY = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")


def title_queries(title: str) -> dict[str, str] | None:
    """`北京大学` -> full `bei jing da xue`, joined `beijingdaxue`, initials `bjdx`; None unless the title
    is two or more Chinese characters and nothing else (a title with Latin letters or digits is not
    typed in pinyin alone)."""
    from pypinyin import lazy_pinyin

    folded = analyzer().fold(title.strip())
    if not _HAN_ONLY.fullmatch(folded):
        return None
    syllables = lazy_pinyin(folded)
    initials = "".join(s[0] for s in syllables)
    return {"full": " ".join(syllables), "joined": "".join(syllables), "initials": initials}


def corpus_titles(path: Path) -> dict[str, set[str]]:
    """Each title of a corpus.jsonl (BEIR: _id, title, text) and the ids of the documents bearing it."""
    titles: dict[str, set[str]] = defaultdict(set)
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                record = json.loads(line)
                titles[str(record.get("title") or "").strip()].add(str(record.get("_id")))
    return titles


def known_item(
    service: SearchService, titles: dict[str, set[str]], progress: Progress = no_progress
) -> dict[str, Any]:
    """Per form: how many titles were read as pinyin, and found at rank 1 and in the top 3 (keyword
    mode, where pinyin matches rank: after the character matches, of which a pinyin query has few)."""
    typed = {t: q for t in titles if (q := title_queries(t))}
    out: dict[str, Any] = {"titles": len(titles), "typed": len(typed)}
    for form in FORMS:
        read = at1 = at3 = 0
        for title, queries in progress(list(typed.items()), form):
            ids = _top(service, queries[form])
            read += ids is not None
            ranks = [i for i, doc in enumerate(ids or [], start=1) if doc in titles[title]]
            at1 += bool(ranks) and ranks[0] == 1
            at3 += bool(ranks)
        out[form] = {
            "read_as_pinyin": read,
            "found@1": round(at1 / max(len(typed), 1), 4),
            "found@3": round(at3 / max(len(typed), 1), 4),
        }
    out["examples"] = dict(list(typed.items())[:3])
    return out


def _top(service: SearchService, text: str) -> list[str] | None:
    """The top DEPTH ids, or None when the query is not read as pinyin."""
    try:
        result = service.search(SearchRequest(text, Mode.keyword, limit=DEPTH), snippets=False)
    except InvalidQuery:
        return None
    return [h.id for h in result.hits] if result.pinyin else None
