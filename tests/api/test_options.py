"""Every search option is defined once (app/search/request.py): the GET query parameters, the POST
body, the CLI's flags and the SQL call all come from it, with the same bounds on every path."""

from __future__ import annotations

import argparse
import json

import pytest
from fastapi.testclient import TestClient
from psycopg_pool import ConnectionPool

from app import cli
from app.api.main import create_app
from app.config import Settings
from app.embedding.loader import ModelHolder
from app.search.request import SETTING_ARGUMENTS, SearchRequest, sql_arguments
from tests.conftest import LOCAL_CLIENT

OPTIONS = [name for name in SearchRequest.model_fields if name != "q"]

# Out of bounds on every path (GET, POST, CLI): each refused with a message, none reaching the database.
BAD = [
    {"limit": 0},
    {"offset": -1},
    {"rrf_k": 0},
    {"rrf_k": 100_001},
    {"keyword_weight": -1},
    {"semantic_weight": 1001},
    {"sparse_weight": 1e9},
    {"title_weight": 101},
    {"min_score": "nan"},
    {"mode": "fuzzy"},
    {"fusion": "max"},
    {"syntax": "lucene"},
    {"filters": "[1]"},
    {"filters": "{oops"},
]


def subcommand(name: str) -> argparse.ArgumentParser:
    actions = [a for a in cli.parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return actions[0].choices[name]  # type: ignore[no-any-return]


def test_each_option_reaches_every_path(pool: ConnectionPool, settings: Settings) -> None:
    with TestClient(create_app(settings, pool=pool, models=ModelHolder.unavailable("none"))) as c:
        spec = c.get("/openapi.json").json()
    get = {p["name"] for p in spec["paths"]["/search"]["get"]["parameters"]}
    body_ref = spec["paths"]["/search"]["post"]["requestBody"]["content"]["application/json"]["schema"][
        "$ref"
    ]
    body = set(spec["components"]["schemas"][body_ref.rsplit("/", 1)[1]]["properties"])
    assert get == body == {"q", *OPTIONS}
    for command in ("search", "sql-params"):
        dests = {a.dest for a in subcommand(command)._actions}
        assert set(OPTIONS) <= dests, (command, set(OPTIONS) - dests)
    # the SQL call's named arguments: every option (settings where left out) and the settings-only ones
    args = sql_arguments(SearchRequest("x"), settings)
    assert set(args) == set(OPTIONS) | set(SETTING_ARGUMENTS)
    assert args["rrf_k"] == settings.rrf_k and args["title_weight"] == settings.title_weight
    assert args["deep_window"] == settings.deep_rank_window


@pytest.mark.parametrize("bad", BAD, ids=lambda b: json.dumps(b))
def test_bounds_are_the_same_on_every_path(
    pool: ConnectionPool, settings: Settings, bad: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    with TestClient(
        create_app(settings, pool=pool, models=ModelHolder.unavailable("none")), client=LOCAL_CLIENT
    ) as c:
        got = c.get("/search", params={"q": "北京", **bad})
        assert got.status_code == 422 and got.json()["detail"], got.text
        if "min_score" not in bad:  # JSON has no NaN: only GET and the CLI can send one
            posted = c.post("/search", json={"q": "北京", **bad})  # filters as JSON text are read too
            assert posted.status_code == 422 and posted.json()["detail"], posted.text
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    name, value = next(iter(bad.items()))
    flag = f"--{name.replace('_', '-')}"
    assert exit_code(["search", "北京", flag, str(value)]) == 2
    assert exit_code(["sql-params", "北京", "--no-vector", flag, str(value)]) == 2


def exit_code(argv: list[str]) -> int:
    """The CLI's exit code, whether it returns it or argparse exits (a choice it does not know)."""
    try:
        return cli.main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
