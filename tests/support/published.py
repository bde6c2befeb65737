"""A SQLite portal with use of force version 1 published, for a module of tests that only read.

Built as the `portal`, `officer` and `uof_source` fixtures build theirs, then published by a
records officer as `tests.flow.publish` does: one run and approval for the whole module
instead of one per test.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal import create_app
from portal.config import Config
from portal.datasets.context import Portal
from portal.demo import use_of_force
from portal.models import Dataset, Role, Version
from portal.users import create_user
from tests.conftest import DEMO_UNTIL, OFFICER
from tests.flow import publish
from tests.support.migrated import MigratedDatabases


@contextmanager
def use_of_force_v1(folder: Path, migrated: MigratedDatabases) -> Iterator[FlaskClient]:
    """A test client of a portal in `folder` serving use of force version 1."""
    config = Config.from_env(
        {},
        data_dir=folder / "data",
        database_url=f"sqlite:///{folder / 'portal.db'}",
        secret_key="test-secret-key",
        testing=True,
    )
    migrated.upgrade(config.database_url, postgres=lambda: pytest.fail("SQLite only"))
    portal = Portal(config)
    with portal.db.session() as session:
        create_user(session, OFFICER[0], OFFICER[1], Role.OFFICER)
    use_of_force.generate(config.data_dir / "demo-sources" / "use-of-force", until=DEMO_UNTIL)
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
    with served_portal(client).db.session() as session:
        return session.scalars(
            select(Version)
            .join(Dataset, Dataset.current_version_id == Version.id)
            .where(Dataset.slug == slug)
            .options(selectinload(Version.files))
        ).one()
