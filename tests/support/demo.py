"""The demo portal (`portal demo` on SQLite) built once per worker, then copied per user.

`load_demo` generates every source and runs and approves every dataset (10-15 s); the
tests that need the demo's showcase state get a copy of one built in this session: the
SQLite file and the data folder. The database holds one absolute path (a run report names
the SQLite file the community-trust query read), rewritten to the copy's own; the template
is checked to hold it nowhere else, so each copy reads as if `portal demo` had made it there.
tests/demo tests `load_demo` itself and never uses a copy.
"""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from datetime import date
from pathlib import Path

from portal.config import Config
from portal.datasets.context import Portal
from portal.demo import load_demo

DATABASE = "portal.db"
DATA = "data"


def demo_config(folder: Path, secret_key: str) -> Config:
    return Config.from_env(
        {},
        data_dir=folder / DATA,
        database_url=f"sqlite:///{folder / DATABASE}",
        secret_key=secret_key,
        testing=True,
    )


class DemoPortals:
    """Copies of the demo portal as of `today`; one template per date, built on first use."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._templates: dict[date, Path] = {}

    def copy(self, folder: Path, today: date, secret_key: str) -> Config:
        """The demo portal in `folder` (portal.db, data/), as `load_demo` left it."""
        template = self._template(today)
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template / DATABASE, folder / DATABASE)
        shutil.copytree(template / DATA, folder / DATA)
        _rewrite_paths(folder / DATABASE, f"{template}/", f"{folder}/")
        return demo_config(folder, secret_key)

    def _template(self, today: date) -> Path:
        if today not in self._templates:
            folder = self._folder / f"demo-{today.isoformat()}"
            portal = Portal(demo_config(folder, "template-secret"))
            try:
                lines = list(load_demo(portal, today=today))
            finally:
                portal.db.dispose()
            assert not [line for line in lines if "failed" in line], lines
            # Disposed: SQLite's WAL is checkpointed into the one file that is copied.
            assert not (folder / f"{DATABASE}-wal").exists()
            assert_no_paths(folder / DATA, str(folder))
            self._templates[today] = folder
        return self._templates[today]


def _rewrite_paths(database: Path, old: str, new: str) -> None:
    """Replace `old` by `new` in every text cell of every table (a report names the file)."""
    with closing(sqlite3.connect(database)) as connection, connection:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        for table in tables:
            columns = [row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')]
            for column in columns:
                connection.execute(
                    f'UPDATE "{table}" SET "{column}" = replace("{column}", ?, ?)'
                    f' WHERE typeof("{column}") = \'text\' AND instr("{column}", ?) > 0',
                    (old, new, old),
                )


def assert_no_paths(data: Path, folder: str) -> None:
    """A file naming the template's folder would still name it in a copy: refuse to copy."""
    needle = folder.encode()
    naming = [str(p) for p in data.rglob("*") if p.is_file() and needle in p.read_bytes()]
    assert not naming, f"demo files name their folder {folder}, a copy would be wrong: {naming}"
