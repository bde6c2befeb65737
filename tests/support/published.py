"""Portals with use of force version 1 published, without each test publishing it (4-6 s).

`use_of_force_v1`: a SQLite portal for a module of tests that only read; built as the
`portal`, `officer` and `uof_source` fixtures build theirs, then published by a records
officer as `tests.flow.publish` does: one run and approval for the whole module.

`PublishedTemplates`: for tests that write afterwards, or run on PostgreSQL, a portal
published once per backend (per worker) by those same fixtures' steps and copied for each
test: the SQLite file or PostgreSQL's `CREATE DATABASE ... TEMPLATE`, and the data folder.
Nothing in either names the template's folder or database (checked), so a copy reads as if
the test had published there itself.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import selectinload

from portal import create_app
from portal.config import Config
from portal.datasets.context import Portal
from portal.demo import use_of_force
from portal.models import Dataset, Role, Version
from portal.releases import ledger
from portal.users import create_user
from tests.conftest import (
    OFFICER,
    add_officer_and_admin,
    portal_config,
    write_uof_source,
)
from tests.flow import publish
from tests.support.demo import assert_no_paths
from tests.support.migrated import MigratedDatabases, recreate_from
from tests.support.postgres import PostgresServer


@contextmanager
def use_of_force_v1(folder: Path, migrated: MigratedDatabases) -> Iterator[FlaskClient]:
    """A test client of a portal in `folder` serving use of force version 1."""
    config = portal_config(folder / "data", f"sqlite:///{folder / 'portal.db'}")
    migrated.upgrade(config.database_url, postgres=lambda: pytest.fail("SQLite only"))
    portal = Portal(config)
    with portal.db.session() as session:
        create_user(session, OFFICER[0], OFFICER[1], Role.OFFICER)
    write_uof_source(config.data_dir)
    publish(portal, OFFICER[0])
    app = create_app(config)
    try:
        yield app.test_client()
    finally:
        app.extensions["portal"].db.dispose()
        portal.db.dispose()


def served_portal(client: FlaskClient) -> Portal:
    return client.application.extensions["portal"]


def served_version(client: FlaskClient, slug: str = "use-of-force") -> Version:
    """The version of `slug` the client's portal serves, with its files."""
    return current_version(served_portal(client), slug)


def current_version(portal: Portal, slug: str = "use-of-force") -> Version:
    """The current version of `slug`, with its files."""
    with portal.db.session() as session:
        return session.scalars(
            select(Version)
            .join(Dataset, Dataset.current_version_id == Version.id)
            .where(Dataset.slug == slug)
            .options(selectinload(Version.files))
        ).one()


class PublishedTemplates:
    """Copies of a portal with use of force version 1 published by OFFICER (ADMIN exists too),
    its source in SOURCE; one template per backend, built on first use."""

    SOURCE = Path("demo-sources", "use-of-force", use_of_force.FILE_NAME)
    TEMPLATE_DATABASE = "published_template"

    def __init__(self, folder: Path, migrated: MigratedDatabases) -> None:
        self._folder = folder
        self._migrated = migrated
        self._templates: dict[str, Config] = {}

    def copy(self, config: Config, postgres: Callable[[], PostgresServer]) -> None:
        """Fill `config`'s new database and absent data folder with a published portal's."""
        url = make_url(config.database_url)
        backend = url.get_backend_name()
        # The template was published with the `config` fixture's configuration: so must this.
        assert config == portal_config(config.data_dir, config.database_url), config
        template = self._template(backend, postgres)
        if backend == "sqlite":
            target = Path(url.database)
            assert not target.exists(), target
            shutil.copyfile(make_url(template.database_url).database, target)
        else:
            server = postgres()
            assert url.port == server.port, config.database_url
            recreate_from(server, url.database, self.TEMPLATE_DATABASE)
        shutil.copytree(template.data_dir, config.data_dir)
        # Publishing made the ledger know this database's key (its later entries are signed
        # with it): so does the copy, from the key file copied with the data folder.
        ledger.signing_key(config)

    def _template(self, backend: str, postgres: Callable[[], PostgresServer]) -> Config:
        if backend not in self._templates:
            folder = self._folder / backend
            folder.mkdir()
            if backend == "sqlite":
                url = f"sqlite:///{folder / 'portal.db'}"
            else:
                url = postgres().create_database(self.TEMPLATE_DATABASE)
            template = portal_config(folder / "data", url)
            self._migrated.upgrade(url, postgres)
            portal = Portal(template)
            try:
                add_officer_and_admin(portal)
                assert write_uof_source(template.data_dir) == template.data_dir / self.SOURCE
                publish(portal, OFFICER[0])
            finally:
                portal.db.dispose()  # nobody may be connected to a PostgreSQL template
            assert_no_paths(template.data_dir, str(folder))
            if backend == "sqlite":
                _checkpoint(folder / "portal.db")
                assert str(folder).encode() not in (folder / "portal.db").read_bytes()
            self._templates[backend] = template
        return self._templates[backend]


def _checkpoint(database: Path) -> None:
    """Move SQLite's write-ahead log into the one file that is copied (a connection the
    portal left to the garbage collector can keep the log after `dispose`)."""
    with closing(sqlite3.connect(database)) as connection:
        busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert busy == 0, database
    wal = database.with_name(f"{database.name}-wal")
    assert not wal.exists() or wal.stat().st_size == 0, wal
