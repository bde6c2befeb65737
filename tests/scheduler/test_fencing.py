"""Fencing: a scheduler paused past its lease never publishes once another took over.

Two real `portal scheduler` processes on SQLite and on PostgreSQL. The test holds the
database (SQLite's write lock, PostgreSQL's row lock on the embargo) so the leader stalls in
the middle of publishing an embargoed release, freezes it with SIGSTOP, lets the lease run
out, lets the standby take over and publish, then wakes the old leader up (SIGCONT).
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from portal.models import Role, Version, utcnow
from portal.releases import ledger, review
from portal.releases.models import Embargo, EmbargoStatus
from portal.scheduler.lease import Lease, LeaseLost
from portal.users import create_user, get_user
from tests.conftest import OFFICER
from tests.flow import run
from tests.scheduler.conftest import FakeClock
from tests.scheduler.test_processes import LEASE_SECONDS, TAKEOVER_LIMIT, Site, wait_for


def test_each_takeover_raises_the_epoch_and_fences_off_the_old_holder(portal):
    clock = FakeClock()
    first = Lease(portal.db, "first", clock, seconds=10)
    second = Lease(portal.db, "second", clock, seconds=10)
    assert first.acquire()
    fence = first.fence()
    assert first.acquire() and first.fence().epoch == fence.epoch  # a renewal keeps the epoch
    assert not second.acquire()

    clock.advance(seconds=11)  # the first holder paused past its lease
    assert second.acquire()
    assert second.fence().epoch == fence.epoch + 1

    with pytest.raises(LeaseLost, match="lost the lease"), portal.db.session() as session:
        fence(session)
    with portal.db.session() as session:
        second.fence()(session)  # the new holder passes


class _DatabaseHold:
    """Holds what the leader needs next: SQLite's write lock, or the embargo's row lock."""

    def __init__(self, database_url: str, embargo_id: int) -> None:
        url = make_url(database_url)
        if url.get_backend_name() == "sqlite":
            self.connection = sqlite3.connect(url.database, isolation_level=None, timeout=30)
            self.connection.execute("BEGIN IMMEDIATE")
        else:
            self.connection = psycopg.connect(
                url.set(drivername="postgresql").render_as_string(hide_password=False)
            )
            self.connection.execute(
                "SELECT id FROM embargoes WHERE id = %s FOR UPDATE", [embargo_id]
            )

    def release(self) -> None:
        self.connection.rollback()
        self.connection.close()


def _verify(site: Site) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "portal", "verify"],
        env=site.env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_a_leader_paused_past_its_lease_mid_publish_publishes_nothing(tmp_path, database_url):
    site = Site(tmp_path / "site", database_url, cron="0 6 2 1 *")
    try:
        _paused_leader(site, database_url)
    finally:
        site.stop()


def _paused_leader(site: Site, database_url: str) -> None:
    ledger.signing_key(site.config)  # the test portal's key file, for the subprocesses too
    with site.portal.db.session() as session:
        create_user(session, OFFICER[0], OFFICER[1], Role.OFFICER)
    assert run(site.portal, "tiny").status.value == "succeeded"
    publish_at = utcnow() + timedelta(seconds=8)
    with site.portal.db.session() as session:
        user = get_user(session, OFFICER[0])
        embargo_id = review.approve(session, site.config, "tiny", user, publish_at=publish_at).id

    leader = site.scheduler("scheduler-1")
    wait_for("the first scheduler to lead", lambda: f":{leader.pid}:" in (site.holder() or ""), 30)
    standby = site.scheduler("scheduler-2")
    time.sleep(1)

    hold = _DatabaseHold(database_url, embargo_id)
    folder = site.config.versions_dir / "tiny" / "v1"
    while utcnow() < publish_at + timedelta(seconds=2) or (
        not folder.exists() and utcnow() < publish_at + timedelta(seconds=6)
    ):
        time.sleep(0.2)  # the leader gets as far into the publish as the held database lets it
    leader.send_signal(signal.SIGSTOP)
    hold.release()
    try:
        wait_for(
            "the standby to take over",
            lambda: f":{standby.pid}:" in (site.holder() or ""),
            TAKEOVER_LIMIT + LEASE_SECONDS,
        )
        time.sleep(3)  # the new leader gets as far as it can
    finally:
        leader.send_signal(signal.SIGCONT)

    def published() -> bool:
        with site.portal.db.session() as session:
            return session.get(Embargo, embargo_id).status == EmbargoStatus.PUBLISHED

    wait_for("the embargoed release to be published", published, 60)
    time.sleep(3)  # the old leader finishes what it was doing
    for process in (leader, standby):
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)

    with site.portal.db.session() as session:
        numbers = session.scalars(select(Version.number)).all()
        embargo = session.get(Embargo, embargo_id)
        assert embargo.status == EmbargoStatus.PUBLISHED
    assert numbers == [1]
    assert sorted(p.name for p in (site.config.versions_dir / "tiny").iterdir()) == ["v1"]
    checked = _verify(site)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "files match" in checked.stdout
