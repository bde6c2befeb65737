"""Run now from the records office, run history, and overdue datasets on the public pages."""

from __future__ import annotations

import io
import re
import time
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import select

from portal.models import Dataset, Run, RunStatus, Version, utcnow
from portal.scheduler.service import Scheduler
from portal.web import fragments
from tests.conftest import OFFICER, csrf_token, login
from tests.flow import publish


def queued_runs(portal) -> list[Run]:
    with portal.db.session() as session:
        return list(session.scalars(select(Run).where(Run.status == RunStatus.QUEUED)))


def test_run_now_with_an_upload_is_queued_then_executed_once_by_the_scheduler(
    portal, client, officer, clock
):
    login(client)
    office = client.get("/office/").get_data(as_text=True)
    assert "Run now" in office and 'name="upload-stops"' in office

    response = client.post(
        "/office/datasets/tiny/run",
        data={
            "csrf_token": csrf_token(client, "/office/"),
            "upload-stops": (io.BytesIO(b"Month,Stops\n2026-11,7\n"), "../../etc/passwd.csv"),
        },
        content_type="multipart/form-data",
    )

    assert response.status_code == 302
    [queued] = queued_runs(portal)
    assert queued.trigger == "office" and queued.requested_by == OFFICER[0]
    stored = queued.uploads["stops"]
    assert re.fullmatch(r"uploads/[0-9a-f]{32}/stops\.csv", stored)  # never the request's name
    assert (portal.config.data_dir / stored).read_bytes() == b"Month,Stops\n2026-11,7\n"
    again = client.post(
        "/office/datasets/tiny/run", data={"csrf_token": csrf_token(client, "/office/")}
    )
    assert "already has run" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert len(queued_runs(portal)) == 1

    scheduler = Scheduler(portal, clock=clock, holder="test", inline=True)
    scheduler.tick()
    scheduler.tick()

    with portal.db.session() as session:
        [run] = session.scalars(select(Run).where(Run.trigger == "office")).all()
        assert run.status == RunStatus.SUCCEEDED, run.error
        assert run.row_count == 1  # the upload, not the configured source's three rows
    assert not (portal.config.data_dir / stored).exists()  # raw uploads are not kept
    history = client.get("/office/datasets/tiny/runs").get_data(as_text=True)
    assert f'href="/office/runs/{run.id}"' in history and "succeeded" in history
    report = client.get(f"/office/runs/{run.id}").get_data(as_text=True)
    assert "valid against its schema" in report and OFFICER[0] in report


def test_run_pages_need_a_signed_in_officer(portal, client):
    assert client.get("/office/datasets/tiny/runs").status_code == 302
    assert client.post("/office/datasets/tiny/run").status_code in (302, 400)
    assert queued_runs(portal) == []


def test_an_overdue_dataset_is_marked_on_its_page_the_index_the_api_and_the_office(
    portal, client, officer, monkeypatch
):
    publish(portal, OFFICER[0], "tiny")
    assert "Overdue" not in client.get("/datasets/tiny/").get_data(as_text=True)
    assert client.get("/api/v1/datasets/tiny").get_json()["freshness"]["overdue"] is False

    with portal.db.session() as session:  # the last release was 40 days ago; cadence P1M
        version = session.scalar(select(Version))
        version.published_at = utcnow() - timedelta(days=40)
    # The forty days pass for the pages kept in memory too (each is kept until its dataset
    # would become overdue): without this the page rendered above would still be served.
    later = time.monotonic() + timedelta(days=40).total_seconds()
    monkeypatch.setattr(fragments, "time", SimpleNamespace(monotonic=lambda: later))

    page = client.get("/datasets/tiny/").get_data(as_text=True)
    index = client.get("/").get_data(as_text=True)
    freshness = client.get("/api/v1/datasets/tiny").get_json()["freshness"]
    login(client)
    office = client.get("/office/").get_data(as_text=True)

    assert "Overdue" in page and "updated every month" in page
    assert "Overdue" in index
    assert freshness["overdue"] is True and freshness["status"] == "overdue"
    assert freshness["cadence"] == "P1M" and freshness["grace_days"] == 3
    with portal.db.session() as session:
        published = session.scalar(select(Dataset)).current_version.published_at
    assert freshness["last_published"] == published.isoformat()
    assert 'class="status failed overdue">overdue' in office
