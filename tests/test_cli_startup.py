"""The `portal` command starts quickly: it imports a library only when a command needs it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from portal.config import REPO_ROOT

HEAVY = {"polars", "duckdb", "flask", "sqlalchemy", "frictionless", "numpy", "httpx"}


def imported_by(*args: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run `python -X importtime -m portal ARGS` and return it with its top-level imports."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "portal", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=120,
    )
    modules = {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return done, modules


def test_help_loads_only_click_and_the_command_table():
    done, modules = imported_by("--help")

    assert done.returncode == 0
    for command in ["approve", "db", "demo", "run", "scheduler", "users", "validate", "verify"]:
        assert f"  {command} " in done.stdout
    assert "click" in modules
    assert not modules & HEAVY, sorted(modules & HEAVY)


@pytest.mark.parametrize(
    "command", [["run"], ["approve"], ["validate"], ["users", "create"], ["scheduler"]]
)
def test_a_command_help_imports_nothing_heavy(command):
    done, modules = imported_by(*command, "--help")

    assert done.returncode == 0
    assert "Usage: python -m portal" in done.stdout
    assert not modules & HEAVY, sorted(modules & HEAVY)


def test_validate_needs_neither_the_database_nor_the_web(tmp_path):
    schema = REPO_ROOT / "schemas" / "use-of-force" / "monthly-summary.schema.json"
    bad = tmp_path / "bad.csv"
    bad.write_text("month,district,force_type,incidents,subjects\n2024-01,D9,canine,x,1\n")

    done, modules = imported_by("validate", str(schema), str(bad))

    assert done.returncode == 1
    assert "1 rows, 2 errors" in done.stdout
    assert not modules & {"sqlalchemy", "flask", "duckdb", "httpx", "yaml"}
