"""Docs that cannot drift: README's settings table is made from the settings' own help, and the
architecture document names only modules, SQL files and functions that exist."""

from __future__ import annotations

import re

from app.config import Settings, settings_table
from tests.conftest import REPO


def test_readme_settings_table_is_the_generated_one() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = (
        readme.split("<!-- settings table:", 1)[1]
        .split("-->", 1)[1]
        .split("<!-- end of settings table -->")[0]
    )
    assert block.strip() == settings_table(), (
        "run `hybrid-search settings --markdown` and paste it into README"
    )
    for name, field in Settings.model_fields.items():
        assert field.description, f"{name} has no help text"
        assert f"| `{name.upper()}` |" in readme


def test_architecture_names_what_exists() -> None:
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    for path in set(re.findall(r"`((?:app|sql|migrations|tests|examples|docs)/[\w./-]+)`", text)):
        assert (REPO / path.rstrip("/")).exists(), path
    defined = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "sql").glob("*.sql"))
    for function in set(re.findall(r"`search\.(\w+)\(", text)):
        assert re.search(rf"FUNCTION search\.{function}\(", defined), function
