"""`portal demo`: every dataset published from its own source format, one left to review."""

from __future__ import annotations

import csv
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.engine import make_url

from portal import create_app
from portal.datasets.context import Portal
from portal.demo import load_demo
from portal.models import Candidate, CandidateStatus, Dataset, Version
from portal.releases.review import pending_candidates
from portal.storage import LocalStorage
from tests.conftest import portal_config
from tests.support.migrated import MigratedDatabases
from tests.support.postgres import PostgresServer

TODAY = date(2026, 11, 24)
RESOURCES = {
    "use-of-force": {"incidents", "monthly-summary"},
    "body-worn-cameras": {"monthly-usage"},
    "resource-allocation": {"budget", "staffing", "calls-for-service"},
    "community-trust": {"district-quarterly", "language-quarterly"},
}


@dataclass
class Demo:
    portal: Portal
    lines: list[str]  # what its one `load_demo` said


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    migrated: MigratedDatabases,
) -> Iterator[Demo]:
    """`load_demo` run once per database on a new portal, for the tests of this module to
    read (10-15 s each time). Read-only: a test that runs it again does so on `demo_copy`."""
    folder = tmp_path_factory.mktemp(f"demo-{request.param}")
    if request.param == "sqlite":
        database_url = f"sqlite:///{folder / 'portal.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        database_url = server.create_database(f"t_{uuid.uuid4().hex[:12]}")
    migrated.upgrade(database_url, lambda: request.getfixturevalue("postgres"))
    portal = Portal(portal_config(folder / "data", database_url))
    lines = list(load_demo(portal, today=TODAY))
    yield Demo(portal, lines)
    portal.db.dispose()


@pytest.fixture
def client(demo: Demo) -> Iterator[FlaskClient]:
    app = create_app(demo.portal.config)
    yield app.test_client()
    app.extensions["portal"].db.dispose()


@pytest.fixture
def demo_copy(demo: Demo, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Portal]:
    """A new portal holding the demo's database and data folder, for a test that changes
    them (its run reports still name the demo's database: nothing here reads them)."""
    demo.portal.db.dispose()  # SQLite's WAL checkpointed; PostgreSQL's template unused
    url = make_url(demo.portal.config.database_url)
    if url.get_backend_name() == "sqlite":
        database_url = f"sqlite:///{tmp_path / 'portal.db'}"
        shutil.copyfile(url.database, tmp_path / "portal.db")
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        database_url = server.create_database(f"t_{uuid.uuid4().hex[:12]}", url.database)
    shutil.copytree(demo.portal.config.data_dir, tmp_path / "data")
    portal = Portal(portal_config(tmp_path / "data", database_url))
    yield portal
    portal.db.dispose()


def test_demo_publishes_every_dataset_and_leaves_one_candidate(demo, client):
    portal, lines = demo.portal, demo.lines

    assert not [line for line in lines if "failed" in line], lines
    with portal.db.session() as session:
        datasets = {d.slug: d for d in session.scalars(select(Dataset))}
        assert set(datasets) == set(RESOURCES)
        for slug, resources in RESOURCES.items():
            version = session.get(Version, datasets[slug].current_version_id)
            assert version.number == 1
            assert {f.resource_name for f in version.files if f.resource_name} == resources
        pending = pending_candidates(session)
        assert [c.dataset.slug for c in pending] == ["use-of-force"]
    for slug in RESOURCES:
        assert client.get(f"/datasets/{slug}/").status_code == 200
    assert client.get("/office/").status_code == 302  # the office still needs a login


def test_demo_is_idempotent(demo_copy):
    portal = demo_copy
    again = list(load_demo(portal, today=TODAY))

    assert sorted(line for line in again if "already published" in line) == sorted(
        f"{slug}: already published" for slug in RESOURCES
    )
    with portal.db.session() as session:
        assert session.query(Version).count() == len(RESOURCES)
        candidates = session.scalars(select(Candidate)).all()
        assert [c.status for c in candidates].count(CandidateStatus.PENDING) == 1


def _rows(portal, slug: str, resource: str) -> list[dict]:
    with portal.db.session() as session:
        dataset = session.scalar(select(Dataset).where(Dataset.slug == slug))
        file = session.get(Version, dataset.current_version_id).file(f"{resource}.csv")
        path = LocalStorage(portal.config.data_dir).path(file.path)
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_index_figures_match_a_recomputation_from_the_published_files(demo, client):
    portal = demo.portal
    figures = {
        f["key"]: f for figs in client.get("/api/v1/").json["figures"].values() for f in figs
    }

    incidents = _rows(portal, "use-of-force", "incidents")
    last = max(r["incident_date"] for r in incidents)[:7]
    year, month = int(last[:4]), int(last[5:7])
    window = {
        f"{(year * 12 + month - 1 - k) // 12}-{(year * 12 + month - 1 - k) % 12 + 1:02d}"
        for k in range(12)
    }
    assert figures["incidents"]["value"] == len(
        {r["incident_id"] for r in incidents if r["incident_date"][:7] in window}
    )

    usage = _rows(portal, "body-worn-cameras", "monthly-usage")
    months = sorted({r["month"] for r in usage})[-12:]
    made = sum(int(r["activations_made"]) for r in usage if r["month"] in months)
    required = sum(int(r["activations_required"]) for r in usage if r["month"] in months)
    assert figures["activation_compliance"]["value"] == round(made / required, 3)  # 93.7%

    budget = _rows(portal, "resource-allocation", "budget")
    latest = max(int(r["fiscal_year"]) for r in budget)
    adopted = sum(float(r["adopted_amount"]) for r in budget if int(r["fiscal_year"]) == latest)
    assert figures["adopted_budget"]["value"] == round(adopted)

    page = client.get("/").get_data(as_text=True)
    assert f">{figures['incidents']['value']:,}</data>" in page
    assert f"{made / required * 100:.1f}%" in page
