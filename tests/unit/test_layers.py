"""Layers point one way: no module outside app/api imports it (the CLI included: `serve` hands uvicorn
the app by name), and nothing imports the CLI. Checked on the source, lazy imports inside functions too."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_only_the_api_imports_the_api_and_nothing_imports_the_cli() -> None:
    app = REPO / "app"
    for path in app.rglob("*.py"):
        package = path.relative_to(app).parts[0]
        for name in imported_modules(path):
            if package != "api":
                assert not name.startswith("app.api"), f"{path.relative_to(REPO)} imports {name}"
            if package != "cli":
                assert not name.startswith("app.cli"), f"{path.relative_to(REPO)} imports {name}"
