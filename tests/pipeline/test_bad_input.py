"""Every malformed source ends as a clear failed run, publishes nothing, and v1 stays served.

Each case starts from a portal whose use-of-force version 1 was published from the good demo
export, swaps in one bad source (the corpus is in `bad_sources/`), runs the real pipeline and
checks what a records officer and the public would see: a failed run with a plain-words reason,
no new candidate or version, and version 1's files byte for byte as published.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from portal import create_app
from portal.config import Config
from portal.datasets.context import Portal
from portal.datasets.definitions import DatasetDefinition, load_definition
from portal.db import upgrade
from portal.demo import use_of_force
from portal.models import Candidate, CandidateStatus, Dataset, Role, Run, RunStatus, Version
from portal.pipeline.run import run_dataset
from portal.storage import LocalStorage
from portal.users import create_user
from tests.conftest import DEMO_UNTIL, OFFICER
from tests.flow import publish
from tests.pipeline.bad_sources.cases import CASES, VALID_CASES, Case, Export, ValidCase
from tests.publishers.conftest import HttpSource, answer
from tests.publishers.conftest import http_source as http_source  # a fixture, found by name

SLUG = "use-of-force"
ROUTE = "/incidents.csv"
# What a records officer must never have to read: a traceback, our catch-all, a class name
# (`ComputeError`, `UnicodeDecodeError`), a library's name or a raw OS error number.
UNCLEAR = (
    re.compile(r"traceback|internal error|file \"|<class|\[errno", re.IGNORECASE),
    re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z]*)*(?:Error|Exception|Warning)\b"),
    re.compile(r"\b(?:polars|calamine|httpx|httpcore|openpyxl|frictionless)\b", re.IGNORECASE),
)

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@dataclass(frozen=True)
class Published:
    """A portal whose use-of-force version 1 is current, and what that version was published as."""

    portal: Portal
    version_id: int
    files: dict[str, str]  # filename -> SHA-256 recorded at publication
    staged: frozenset[str]  # the staging folder's entries before the run
    export: Export


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder and SQLite file with version 1 published; each test starts from a copy."""
    root = tmp_path_factory.mktemp("published")
    config = Config.from_env(
        {},
        data_dir=root / "data",
        database_url=f"sqlite:///{root / 'portal.db'}",
        secret_key="test-secret-key",
        testing=True,
    )
    upgrade(config.database_url)
    portal = Portal(config)
    try:
        with portal.db.session() as session:
            create_user(session, OFFICER[0], OFFICER[1], Role.OFFICER)
        use_of_force.generate(config.data_dir / "demo-sources" / SLUG, until=DEMO_UNTIL)
        publish(portal, OFFICER[0])
    finally:
        portal.db.dispose()
    return root


@pytest.fixture
def published(baseline: Path, config: Config) -> Iterator[Published]:
    # Publishing takes a second; copying the published portal keeps the corpus quick.
    shutil.copytree(baseline / "data", config.data_dir)
    database = Path(config.database_url.removeprefix("sqlite:///"))
    for part in baseline.glob("portal.db*"):  # the WAL files too, if SQLite kept any
        shutil.copyfile(part, database.with_name(part.name))
    portal = Portal(config)
    with portal.db.session() as session:
        version = session.scalar(select(Dataset).where(Dataset.slug == SLUG)).current_version
        files = {f.filename: f.sha256 for f in version.files}
        version_id = version.id
    export = Export(config.data_dir / "demo-sources" / SLUG / use_of_force.FILE_NAME)
    staged = frozenset(p.name for p in config.staging_dir.iterdir())
    yield Published(portal, version_id, files, staged, export)
    portal.db.dispose()


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Name lookups never leave this machine.

    The resolver configured here is not on 127.0.0.1, so a lookup of a `.invalid` name would
    still send a query out. It gets the answer RFC 6761 prescribes, "no such name", locally;
    any other name but the loopback address fails the test.
    """
    real = socket.getaddrinfo

    def lookup(host: str | bytes | None, *args: object, **kwargs: object) -> list:
        name = host.decode() if isinstance(host, bytes) else host
        if name in (None, "127.0.0.1", "localhost"):
            return real(host, *args, **kwargs)
        if name.endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        raise AssertionError(f"the test tried to look up {name}; only 127.0.0.1 may be used")

    monkeypatch.setattr(socket, "getaddrinfo", lookup)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_a_bad_source_fails_clearly_and_publishes_nothing(
    case: Case, published: Published, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    definition, server = _prepare(case, published, tmp_path, request)

    result = run_dataset(published.portal.db, definition)

    with published.portal.db.session() as session:
        run = session.get(Run, result.id)
        assert run.status == RunStatus.FAILED, run.error
        assert run.finished_at is not None
        _assert_clear(run.error, case.expect)
        if case.groups:
            groups = run.report["resources"]["incidents"]["groups"]
            assert [g["type"] for g in groups] == list(case.groups)
            assert groups[0]["sample"], "the report shows examples of the problem"
        assert session.scalar(select(Candidate).where(Candidate.run_id == run.id)) is None
    if case.requests is not None:
        assert len(server.requests_to(ROUTE)) == case.requests
    config = published.portal.config
    assert frozenset(p.name for p in config.staging_dir.iterdir()) == published.staged
    _assert_still_published(published)


@pytest.mark.parametrize("case", VALID_CASES, ids=lambda case: case.id)
def test_a_tricky_but_valid_source_is_staged_for_review_not_published(
    case: ValidCase, published: Published, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    definition, _ = _prepare(case, published, tmp_path, request)

    result = run_dataset(published.portal.db, definition)

    assert result.status == RunStatus.SUCCEEDED, result.error
    with published.portal.db.session() as session:
        candidate = session.scalar(select(Candidate).where(Candidate.run_id == result.id))
        assert candidate.status == CandidateStatus.PENDING
        rows = {f["filename"]: f["rows"] for f in candidate.files}
    assert rows["incidents.csv"] == case.rows
    _assert_still_published(published)


def _prepare(
    case: Case | ValidCase, published: Published, tmp_path: Path, request: pytest.FixtureRequest
) -> tuple[DatasetDefinition, HttpSource | None]:
    """Put the case's source where its publisher entry looks, and load that entry."""
    config = published.portal.config
    source = dict(case.source) if case.source is not None else None
    body = case.content(published.export) if case.content is not None else None
    server = None
    if source is not None and source["type"] == "http":
        if "{url}" in source["url"]:
            server = request.getfixturevalue("http_source")
            handler = case.serve or (
                lambda h, stopping: answer(h, 200, body or b"", {"Content-Type": "text/csv"})
            )
            source["url"] = server.route(ROUTE, lambda h: handler(h, server.stopping))
        if "{closed_port}" in source["url"]:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            source["url"] = source["url"].format(closed_port=port)
    elif body is not None:
        target = config.data_dir / case.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    if source is None:
        return published.portal.definition(SLUG), server
    entry = yaml.safe_load((config.publishers_dir / f"{SLUG}.yaml").read_text(encoding="utf-8"))
    entry["resources"]["incidents"]["source"] = source
    publishers = tmp_path / "publishers"
    publishers.mkdir()
    (publishers / f"{SLUG}.yaml").write_text(yaml.safe_dump(entry), encoding="utf-8")
    return load_definition(publishers / f"{SLUG}.yaml", config.schemas_dir), server


def _assert_clear(error: str | None, expect: str) -> None:
    assert error, "a failed run says why"
    assert re.search(expect, error, re.IGNORECASE | re.DOTALL), error
    for unclear in UNCLEAR:
        assert not unclear.search(error), error
    assert len(error) < 1500, error


def _assert_still_published(published: Published) -> None:
    """Version 1 is current, alone, and its files on disk and on the web are as published."""
    config = published.portal.config
    with published.portal.db.session() as session:
        dataset = session.scalar(select(Dataset).where(Dataset.slug == SLUG))
        assert dataset.current_version_id == published.version_id
        assert session.scalar(select(func.count()).select_from(Version)) == 1
        files = session.get(Version, published.version_id).files
        recorded = {f.filename: (f.path, f.sha256) for f in files}
    assert {name: sha for name, (_, sha) in recorded.items()} == published.files
    storage = LocalStorage(config.data_dir)
    for name, (path, sha256) in recorded.items():
        assert hashlib.sha256(storage.path(path).read_bytes()).hexdigest() == sha256, name
    app = create_app(config)
    try:
        served = app.test_client().get(f"/datasets/{SLUG}/latest/incidents.csv")
        assert served.status_code == 200
        assert hashlib.sha256(served.get_data()).hexdigest() == published.files["incidents.csv"]
    finally:
        app.extensions["portal"].db.dispose()
