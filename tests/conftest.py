"""Shared fixtures: a portal on a real SQLite file or a real PostgreSQL server, its app and CLI."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from portal.config import Config
from portal.datasets.context import Portal
from portal.models import Role, Version
from tests.support.demo import DemoPortals
from tests.support.migrated import MigratedDatabases
from tests.support.postgres import PostgresServer

if TYPE_CHECKING:
    from tests.support.published import PublishedTemplates

DEMO_UNTIL = date(2026, 11, 1)
OFFICER = ("officer@example.org", "correct horse battery staple")
ADMIN = ("admin@example.org", "admin horse battery staple")


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the whole session (never skipped: CI installs it)."""
    with PostgresServer.start(tmp_path_factory.mktemp("postgres")) as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'portal.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database(f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> Config:
    return portal_config(tmp_path / "data", database_url)


def portal_config(data_dir: Path, database_url: str) -> Config:
    """The configuration of the `config` fixture."""
    return Config.from_env(
        {},
        data_dir=data_dir,
        database_url=database_url,
        secret_key="test-secret-key",
        testing=True,
    )


@pytest.fixture(scope="session")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> MigratedDatabases:
    """Migrates each new test database by copying one migrated once (per backend, per worker)."""
    return MigratedDatabases(tmp_path_factory.mktemp("migrated"))


@pytest.fixture(scope="session")
def demo_portals(tmp_path_factory: pytest.TempPathFactory) -> DemoPortals:
    """`portal demo` run once per worker; `.copy(folder, today, secret_key)` for each user."""
    return DemoPortals(tmp_path_factory.mktemp("demo-template"))


@pytest.fixture(scope="module")
def served_v1(tmp_path_factory: pytest.TempPathFactory, migrated: MigratedDatabases):  # noqa: ANN201
    """A client of use of force version 1 on SQLite, published once per module: the tests
    that share it only read (tests.support.published)."""
    from tests.support.published import use_of_force_v1

    with use_of_force_v1(tmp_path_factory.mktemp("use-of-force-v1"), migrated) as client:
        yield client


@pytest.fixture(scope="session")
def published_templates(
    tmp_path_factory: pytest.TempPathFactory, migrated: MigratedDatabases
) -> PublishedTemplates:
    """Use of force version 1 published once per backend (per worker), copied per test."""
    from tests.support.published import PublishedTemplates

    return PublishedTemplates(tmp_path_factory.mktemp("published-template"), migrated)


@pytest.fixture
def portal(
    request: pytest.FixtureRequest, config: Config, migrated: MigratedDatabases
) -> Iterator[Portal]:
    postgres = lambda: request.getfixturevalue("postgres")  # noqa: E731
    if "published_uof" in request.fixturenames:
        # The test starts from a published portal: a copy, not its own publish.
        request.getfixturevalue("published_templates").copy(config, postgres)
    else:
        migrated.upgrade(config.database_url, postgres)
    portal = Portal(config)
    yield portal
    portal.db.dispose()


@pytest.fixture
def app(portal: Portal):  # noqa: ANN201
    from portal import create_app

    app = create_app(portal.config)
    yield app
    app.extensions["portal"].db.dispose()


@pytest.fixture
def client(app):  # noqa: ANN001, ANN201
    return app.test_client()


@pytest.fixture
def runner(config: Config) -> CliRunner:
    """Runs `portal ...` with this test's configuration in the environment."""
    runner = CliRunner(
        env={
            "PORTAL_DATA_DIR": str(config.data_dir),
            "DATABASE_URL": config.database_url,
            "SECRET_KEY": config.secret_key,
        }
    )
    return runner


@pytest.fixture
def officer(request: pytest.FixtureRequest, portal: Portal) -> str:
    if "published_uof" in request.fixturenames:
        return OFFICER[0]  # the copied portal has both accounts
    return add_officer_and_admin(portal)


@pytest.fixture
def uof_source(request: pytest.FixtureRequest, portal: Portal) -> Path:
    """The use-of-force demo export, as the records-management system writes it."""
    if "published_uof" in request.fixturenames:
        from tests.support.published import PublishedTemplates

        return portal.config.data_dir / PublishedTemplates.SOURCE  # copied with the portal
    return write_uof_source(portal.config.data_dir)


@pytest.fixture
def published_uof(portal: Portal, officer: str, uof_source: Path) -> Version:
    """Use of force version 1 as `tests.flow.publish(portal, officer)` returns it: the test's
    portal, officer and source are a copy of ones published once (tests.support.published)."""
    from tests.support.published import current_version

    return current_version(portal)


def add_officer_and_admin(portal: Portal) -> str:
    """The records officer and the admin (OFFICER, ADMIN); returns the officer's e-mail."""
    from portal.users import create_user

    with portal.db.session() as session:
        create_user(session, OFFICER[0], OFFICER[1], Role.OFFICER)
        return create_user(session, ADMIN[0], ADMIN[1], Role.ADMIN) and OFFICER[0]


def write_uof_source(data_dir: Path) -> Path:
    from portal.demo import use_of_force

    return use_of_force.generate(data_dir / "demo-sources" / "use-of-force", until=DEMO_UNTIL)[
        "incidents"
    ]


def login(client, email: str = OFFICER[0], password: str = OFFICER[1]):  # noqa: ANN001, ANN201
    """Sign in through the real form, CSRF token included."""
    import re

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token.group(1)}
    )


def csrf_token(client, path: str) -> str:  # noqa: ANN001
    import re

    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
