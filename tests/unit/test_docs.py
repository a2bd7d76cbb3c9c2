"""Docs that cannot drift: README's settings table is made from the settings' own help, and the
architecture document names only modules, SQL files and functions that exist."""

from __future__ import annotations

import re

from app.config import Settings, settings_table
from app.search.request import options_table
from tests.conftest import REPO


def readme_block(name: str) -> str:
    """The generated part of README between `<!-- NAME table: ... -->` and `<!-- end of NAME table -->`."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    after = readme.split(f"<!-- {name} table:", 1)[1].split("-->", 1)[1]
    return after.split(f"<!-- end of {name} table -->", 1)[0].strip()


def test_readme_settings_table_is_the_generated_one() -> None:
    assert readme_block("settings") == settings_table(), "paste `hybrid-search settings --markdown` in README"
    for name, field in Settings.model_fields.items():
        assert field.description, f"{name} has no help text"


def test_readme_options_table_is_the_generated_one() -> None:
    assert readme_block("options") == options_table(), "paste `hybrid-search settings --search-options`"


def test_architecture_names_what_exists() -> None:
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    for path in set(re.findall(r"`((?:app|sql|migrations|tests|examples|docs)/[\w./-]+)`", text)):
        assert (REPO / path.rstrip("/")).exists(), path
    defined = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "sql").glob("*.sql"))
    for function in set(re.findall(r"`search\.(\w+)\(", text)):
        assert re.search(rf"FUNCTION search\.{function}\(", defined), function


def test_documented_curl_urls_are_sent_as_a_server_takes_them() -> None:
    """curl sends a URL as typed, and the service's HTTP parser answers 400 to one holding raw non-ASCII
    characters or spaces (the README's first search example did): the docs percent-encode the query
    with --data-urlencode instead."""
    for doc in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for line in doc.read_text(encoding="utf-8").splitlines():
            if "curl" in line:
                for url in re.findall(r"""['"]?(https?://[^'"\s]+)""", line):
                    assert url.isascii(), f"{doc.name}: {line}"
