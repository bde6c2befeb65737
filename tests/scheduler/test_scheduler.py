"""The scheduler on a fake clock: cron fires once, misfires coalesce, retries back off."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.datasets.definitions import sync_dataset
from portal.errors import RunInProgress
from portal.models import Dataset, Run, RunStatus, utcnow
from portal.pipeline.run import run_dataset
from portal.scheduler import queue
from portal.scheduler.cron import cron_trigger
from portal.scheduler.service import Scheduler, Settings
from tests.scheduler.conftest import write_tiny


def scheduler(portal, clock, name: str = "a") -> Scheduler:
    return Scheduler(portal, clock=clock, holder=f"test-{name}", inline=True)


def runs(portal) -> list[Run]:
    with portal.db.session() as session:
        return list(session.scalars(select(Run).order_by(Run.id)))


def test_a_cron_fire_time_is_run_once_by_the_leader_only(portal, clock, fire_time):
    leader, standby = scheduler(portal, clock, "a"), scheduler(portal, clock, "b")
    assert leader.tick() is True
    assert standby.tick() is False
    assert runs(portal) == []  # not due yet

    while clock.now <= fire_time:  # the leader renews its lease as time passes
        clock.advance(seconds=2)
        assert leader.tick() is True
        assert standby.tick() is False
    leader.tick()

    [run] = runs(portal)
    assert run.trigger == "schedule"
    assert run.scheduled_for == fire_time
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.worker == "test-a"
    assert run.row_count == 3
    assert run.heartbeat_at is not None


def test_missed_fire_times_give_one_catch_up_run_not_one_per_miss(portal, clock):
    monthly = "0 6 2 * *"
    write_tiny(portal.config.publishers_dir.parent, cron=monthly)
    trigger = cron_trigger({"cron": monthly})
    fires = [trigger.get_next_fire_time(None, clock.now - timedelta(days=130))]
    while (
        later := trigger.get_next_fire_time(None, fires[-1] + timedelta(seconds=1))
    ) <= clock.now:
        fires.append(later)
    assert len(fires) >= 4  # the scheduler was down for three fire times or more
    with portal.db.session() as session:
        dataset = sync_dataset(session, portal.definition("tiny"))
        session.add(
            Run(
                dataset=dataset,
                status=RunStatus.SUCCEEDED,
                trigger="schedule",
                scheduled_for=fires[0],
                started_at=utcnow(),
                finished_at=utcnow(),
            )
        )
    back_up = scheduler(portal, clock)

    back_up.tick()
    back_up.tick()

    catch_up = [run for run in runs(portal) if run.scheduled_for != fires[0]]
    assert [run.scheduled_for for run in catch_up] == [fires[-1]]
    assert catch_up[0].status == RunStatus.SUCCEEDED, catch_up[0].error


def test_a_scheduled_run_that_cannot_reach_its_source_is_retried_three_times_with_backoff(
    portal, clock, fire_time
):
    (portal.config.data_dir / "tiny" / "stops.csv").unlink()
    active = scheduler(portal, clock)
    clock.now = fire_time + timedelta(seconds=1)
    active.tick()
    for backoff in (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15)):
        failed = runs(portal)[-1]
        clock.now = failed.finished_at + backoff - timedelta(seconds=2)
        active.tick()
        assert runs(portal)[-1].id == failed.id  # not yet
        clock.now = failed.finished_at + backoff + timedelta(seconds=1)
        active.tick()
        assert runs(portal)[-1].attempt == failed.attempt + 1
    clock.now = runs(portal)[-1].finished_at + timedelta(hours=2)
    active.tick()

    history = runs(portal)
    assert [run.attempt for run in history] == [1, 2, 3, 4]  # three retries, then no more
    assert {run.scheduled_for for run in history} == {fire_time}
    assert all(run.status == RunStatus.FAILED for run in history)
    assert all(run.error_type == "SourceUnavailable" for run in history)


def test_an_invalid_source_is_not_retried(portal, clock, fire_time):
    (portal.config.data_dir / "tiny" / "stops.csv").write_text("Month,Stops\n2026-10,many\n")
    active = scheduler(portal, clock)
    clock.now = fire_time + timedelta(seconds=1)
    active.tick()
    clock.advance(hours=2)
    active.tick()

    [run] = runs(portal)
    assert run.status == RunStatus.FAILED
    assert run.error_type is None


def test_a_standby_takes_over_when_the_lease_runs_out_or_is_released(portal, clock):
    first, second = scheduler(portal, clock, "a"), scheduler(portal, clock, "b")
    assert first.tick() and not second.tick()

    clock.advance(seconds=Settings().lease_seconds - 1)
    assert not second.tick()  # first has not renewed, but its lease still holds
    clock.advance(seconds=2)
    assert second.tick()
    assert not first.tick()
    assert second.lease.current_holder()[0] == "test-b"

    second.lease.release()
    assert first.tick()


def test_runs_whose_heartbeat_went_silent_are_interrupted(portal, clock):
    with portal.db.session() as session:
        dataset = sync_dataset(session, portal.definition("tiny"))
        other = sync_dataset(session, portal.definition("tiny"))
        silent = Run(
            dataset=dataset,
            status=RunStatus.RUNNING,
            started_at=utcnow(),
            heartbeat_at=clock.now - timedelta(minutes=5),
        )
        session.add(silent)
        session.flush()
        silent_id = silent.id
    assert other is dataset
    scheduler(portal, clock).tick()

    with portal.db.session() as session:
        found = session.get(Run, silent_id)
        assert found.status == RunStatus.INTERRUPTED
        assert "no heartbeat" in found.error
        assert found.finished_at is not None


def test_the_database_refuses_a_second_running_run_of_a_dataset(portal, clock):
    with portal.db.session() as session:
        dataset = sync_dataset(session, portal.definition("tiny"))
        session.add(
            Run(
                dataset=dataset,
                status=RunStatus.RUNNING,
                started_at=utcnow(),
                heartbeat_at=utcnow(),
            )
        )
        queued = Run(dataset=dataset, status=RunStatus.QUEUED)
        session.add(queued)
        session.flush()
        queued_id, dataset_id = queued.id, dataset.id

    with pytest.raises(RunInProgress):
        run_dataset(portal.db, portal.definition("tiny"), trigger="cli")
    assert queue.claim(portal.db, queued_id, "test") is False
    with pytest.raises(IntegrityError), portal.db.session() as session:
        session.add(Run(dataset_id=dataset_id, status=RunStatus.RUNNING))
    with portal.db.session() as session:
        assert session.get(Run, queued_id).status == RunStatus.QUEUED
        assert session.scalar(select(Dataset.slug)) == "tiny"
