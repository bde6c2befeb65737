"""Approval publishes an immutable version atomically; rejection and failures publish nothing."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from portal.errors import NothingToApprove
from portal.models import Candidate, CandidateStatus, Dataset, Version
from portal.releases import review
from portal.storage import LocalStorage
from portal.users import get_user
from tests.conftest import config, database_url  # noqa: F401  (both databases, not the tiny SQLite one)
from tests.flow import approve, publish, run


def test_approval_publishes_version_one_with_recorded_hashes(portal, uof_source, officer):
    version = publish(portal, officer)

    assert version.number == 1
    storage = LocalStorage(portal.config.data_dir)
    names = {f.filename for f in version.files}
    assert names == {"datapackage.json", "use-of-force.zip"} | {
        f"{resource}.{kind}"
        for resource in ("incidents", "monthly-summary")
        for kind in ("csv", "json", "parquet")
    }
    for file in version.files:
        content = storage.path(file.path).read_bytes()
        assert hashlib.sha256(content).hexdigest() == file.sha256
        assert len(content) == file.size
    with portal.db.session() as session:
        dataset = session.scalar(select(Dataset))
        assert dataset.current_version_id == version.id
        assert session.scalar(select(Candidate)).status == CandidateStatus.APPROVED


def test_a_failed_run_leaves_the_published_version_untouched(portal, uof_source, published_uof):
    version = published_uof
    storage = LocalStorage(portal.config.data_dir)
    before = {f.filename: storage.path(f.path).read_bytes() for f in version.files}
    uof_source.write_text("IncidentNo,Broken\r\nx,y\r\n", encoding="utf-8")

    failed = run(portal)

    assert failed.status.value == "failed"
    with portal.db.session() as session:
        dataset = session.scalar(select(Dataset))
        assert dataset.current_version_id == version.id
        current = session.get(Version, dataset.current_version_id)
        after = {f.filename: storage.path(f.path).read_bytes() for f in current.files}
    assert after == before


def test_rejection_publishes_nothing_and_needs_a_note(portal, uof_source, officer):
    run(portal)
    with portal.db.session() as session:
        user = get_user(session, officer)
        with pytest.raises(Exception, match="note"):
            review.reject(session, "use-of-force", user, "  ")
        review.reject(session, "use-of-force", user, "District codes look wrong")
    with portal.db.session() as session:
        assert session.scalar(select(Candidate)).status == CandidateStatus.REJECTED
        assert session.scalar(select(Dataset)).current_version_id is None
        with pytest.raises(NothingToApprove):
            review.approve(session, portal.config, "use-of-force", user)


def test_a_new_source_month_becomes_version_two(portal, uof_source, officer):
    from datetime import date

    from portal.demo import use_of_force

    use_of_force.generate(uof_source.parent, until=date(2026, 10, 1))
    first = publish(portal, officer)
    use_of_force.generate(uof_source.parent, until=date(2026, 11, 1))
    second = publish(portal, officer)

    assert (first.number, second.number) == (1, 2)
    assert second.file("incidents.csv").row_count > first.file("incidents.csv").row_count
    storage = LocalStorage(portal.config.data_dir)
    assert storage.path(first.file("incidents.csv").path).exists()


def test_a_crash_before_the_commit_leaves_the_previous_version_current(portal, uof_source, officer):
    from datetime import date

    from portal.demo import use_of_force

    use_of_force.generate(uof_source.parent, until=date(2026, 10, 1))
    first = publish(portal, officer)
    use_of_force.generate(uof_source.parent, until=date(2026, 11, 1))
    run(portal)

    # The files of version 2 land, then the transaction that would make them current dies.
    with pytest.raises(RuntimeError), portal.db.session() as session:
        review.approve(session, portal.config, "use-of-force", get_user(session, officer))
        raise RuntimeError("power cut before commit")
    with portal.db.session() as session:
        dataset = session.scalar(select(Dataset))
        assert dataset.current_version_id == first.id
        assert (
            session.scalar(select(Candidate).order_by(Candidate.id.desc())).status
            == CandidateStatus.PENDING
        )
    # Retrying publishes cleanly over the orphaned folder.
    second = approve(portal, officer)
    assert second.number == 2
