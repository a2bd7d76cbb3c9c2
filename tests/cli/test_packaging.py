"""`pip install .` (not editable) gives a working command: the wheel carries sql/ and the migrations,
and `hybrid-search db upgrade`, `ingest` and `search` run from it, away from the source tree."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

from setuptools import find_namespace_packages

from tests.conftest import REPO, url_for_db

MAPPED = {"app.sql", "app.migrations", "app.migrations.versions", "app.migrations.versions.sql"}


def test_every_package_is_listed_for_the_wheel() -> None:
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = find_namespace_packages(str(REPO), include=["app", "app.*"], exclude=["*.__pycache__"])
    assert listed == set(found) | MAPPED


def test_the_installed_wheel_migrates_ingests_and_searches(
    tmp_path: Path, server_url: str, tiny_m3_path: Path
) -> None:
    source = tmp_path / "source"  # a clean copy: no build/ left over from another build
    shutil.copytree(
        REPO,
        source,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "build", "*.egg-info", ".hybrid-search", "__pycache__", ".*_cache", "examples"
        ),
    )
    wheels = tmp_path / "wheels"
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            str(source),
            "-w",
            str(wheels),
        ]
    )
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            *map(str, wheels.glob("*.whl")),
        ]
    )
    # the dependencies: this environment's site-packages, behind the wheel's own `app`
    site = Path(
        run(
            [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
        ).strip()
    )
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    name = f"hs_wheel_{os.getpid()}"
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    work = tmp_path / "elsewhere"  # not the source tree: nothing found by accident
    work.mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": url_for_db(server_url, name),
        "EMBEDDING_MODEL": str(tiny_m3_path),
        "HF_HUB_OFFLINE": "1",
    }
    command = str(venv / "bin" / "hybrid-search")
    where = run(
        [str(venv / "bin" / "python"), "-c", "import app, app.db; print(app.__file__, app.db.SQL_DIR)"],
        cwd=work,
        env=env,
    )
    assert str(site) in where and str(REPO) not in where
    run([command, "db", "upgrade"], cwd=work, env=env)
    docs = work / "docs.jsonl"
    docs.write_text('{"id": "1", "title": "北京", "text": "北京是中国的首都"}\n', encoding="utf-8")
    assert json.loads(run([command, "ingest", str(docs), "--quiet"], cwd=work, env=env))["written"] == 1
    found = json.loads(run([command, "search", "首都", "--mode", "keyword", "--json"], cwd=work, env=env))
    assert [h["id"] for h in found["hits"]] == ["1"]


def run(argv: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{argv}\n{done.stdout}\n{done.stderr}"
    return done.stdout
