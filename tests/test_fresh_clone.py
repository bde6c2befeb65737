"""The repository alone is enough to run its tests: nothing beside it is read.

The DCAT-US tests once read the official schemas from a folder beside the repository, so a
fresh clone failed. Here the repository's files (as git tracks them, with this checkout's
edits) are copied into a folder with nothing beside them, and the conformance tests run
there in a fresh Python process that records every file it opens. The copy must pass, import
its own code, and open nothing beside itself nor anything in this checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from portal.config import REPO_ROOT

pytestmark = pytest.mark.slow

# A pytest plugin for the copy's run: it records every file the process opens that lies
# under the watched folders, and writes them out when the run ends.
WATCHER = """
import atexit, json, os, sys

WATCHED = json.loads(os.environ["WATCH_FOLDERS"])
ALLOWED = os.environ["WATCH_ALLOWED"]
SEEN = set()

def hook(event, args):
    if event != "open" or not args or not isinstance(args[0], (str, bytes, os.PathLike)):
        return
    path = os.path.abspath(os.fsdecode(args[0]))
    if path == ALLOWED or path.startswith(ALLOWED + os.sep):
        return
    if any(path == folder or path.startswith(folder + os.sep) for folder in WATCHED):
        SEEN.add(path)

sys.addaudithook(hook)

@atexit.register
def report():
    with open(os.environ["WATCH_REPORT"], "w") as handle:
        json.dump(sorted(SEEN), handle)
"""


def tracked_files(root: Path) -> list[str]:
    listed = subprocess.run(
        ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    )
    return [name for name in listed.stdout.decode().split("\0") if name]


def test_the_conformance_tests_pass_in_a_copy_of_the_repository_with_nothing_beside_it(
    tmp_path: Path,
):
    if shutil.which("git") is None or not (REPO_ROOT / ".git").exists():
        pytest.fail(f"{REPO_ROOT} is not a git checkout: cannot tell which files are the repo's")
    alone = tmp_path / "alone"
    copy = alone / "repository"
    for name in tracked_files(REPO_ROOT):
        source = REPO_ROOT / name
        if source.is_file():  # a file deleted in this checkout but not yet committed is gone
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    assert sorted(p.name for p in alone.iterdir()) == ["repository"]
    plugin_dir = tmp_path / "plugin"
    plugin_dir.mkdir()
    (plugin_dir / "watch_opens.py").write_text(WATCHER, encoding="utf-8")
    report = tmp_path / "opened.json"
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PORTAL_", "PYTEST_", "DATABASE_URL", "SECRET_KEY"))
    }
    environment |= {
        "PYTHONPATH": os.pathsep.join([str(copy), str(plugin_dir)]),
        "WATCH_FOLDERS": json.dumps([str(alone), str(REPO_ROOT.resolve())]),
        "WATCH_ALLOWED": str(copy),
        "WATCH_REPORT": str(report),
        "PYTHONDONTWRITEBYTECODE": "1",
    }

    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "watch_opens",
            "-p",
            "no:cacheprovider",
            "-q",
            "tests/catalogs/test_dcat.py",
            "-k",
            "not postgresql",
            "-W",
            "ignore",
        ],
        cwd=copy,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and "error" not in run.stdout.splitlines()[-1]
    opened = json.loads(report.read_text(encoding="utf-8"))
    assert opened == [], "opened outside the copied repository: " + ", ".join(opened[:20])
    where = subprocess.run(
        [sys.executable, "-c", "import portal, tests; print(portal.__file__, tests.__file__)"],
        cwd=copy,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert all(Path(p).is_relative_to(copy) for p in where.stdout.split())
