"""Embargoed releases: approved now, invisible everywhere until their time, then everywhere."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from portal.cli import main
from portal.models import Candidate, CandidateStatus, Version
from portal.releases.models import Embargo, EmbargoStatus
from tests.conftest import OFFICER, csrf_token, login
from tests.flow import run

HIDDEN_OR_SHOWN = (
    "/datasets/tiny/",
    "/datasets/tiny/versions/",
    "/datasets/tiny/v1/stops.csv",
    "/datasets/tiny/latest/stops.csv",
    "/datasets/tiny/latest/datapackage.json",
    "/datasets/tiny/feed.atom",
    "/api/v1/datasets/tiny",
    "/api/v1/datasets/tiny/versions",
)
LISTINGS = ("/", "/datasets/", "/api/v1/datasets", "/data.json", "/feed.atom", "/ledger.json")


def _seen(client) -> dict[str, object]:
    seen: dict[str, object] = {path: client.get(path).status_code for path in HIDDEN_OR_SHOWN}
    for path in LISTINGS:
        seen[path] = "tiny" in client.get(path).get_data(as_text=True).lower()
    return seen


def test_an_embargoed_release_is_invisible_until_its_time_then_visible_everywhere_at_once(
    portal, client, runner, officer, scheduler, clock
):
    run(portal, "tiny")
    chicago = ZoneInfo("America/Chicago")
    publish_at = (clock.now + timedelta(hours=2)).astimezone(chicago).replace(second=0)
    at = publish_at.strftime("%Y-%m-%d %H:%M")

    approved = runner.invoke(
        main, ["approve", "tiny", "--by", OFFICER[0], "--at", at, "--tz", "America/Chicago"]
    )

    assert approved.exit_code == 0, approved.output
    assert f"embargoed until {at} America/Chicago" in approved.output
    nothing = {path: 404 for path in HIDDEN_OR_SHOWN} | {path: False for path in LISTINGS}
    assert _seen(client) == nothing
    assert not (portal.config.versions_dir / "tiny").exists()  # no file to stumble on

    clock.now = publish_at - timedelta(seconds=1)
    scheduler.tick()
    assert _seen(client) == nothing

    clock.now = publish_at
    scheduler.tick()

    assert _seen(client) == {path: 200 for path in HIDDEN_OR_SHOWN} | {p: True for p in LISTINGS}
    with portal.db.session() as session:
        embargo = session.scalar(select(Embargo))
        version = session.scalar(select(Version))
        assert embargo.status == EmbargoStatus.PUBLISHED
        assert embargo.version_id == version.id and version.number == 1
        assert version.approved_by.email == OFFICER[0]
    entry = client.get("/ledger.json").get_json()["entries"][0]["entry"]
    assert (entry["kind"], entry["dataset"], entry["approved_by"]) == (
        "publish",
        "tiny",
        "Records officer",  # by role, never by e-mail address (#19)
    )
    assert runner.invoke(main, ["verify"]).exit_code == 0


def test_the_office_embargoes_from_the_candidate_page_and_can_cancel(portal, client, officer):
    run(portal, "tiny")
    with portal.db.session() as session:
        candidate_id = session.scalar(select(Candidate.id))
    login(client)
    token = csrf_token(client, f"/office/candidates/{candidate_id}")
    form = {"csrf_token": token, "note": "Monthly release", "tz": "America/Chicago"}

    past = client.post(
        f"/office/candidates/{candidate_id}/approve-at",
        data={**form, "publish_at": "2020-01-01T09:00"},
        follow_redirects=True,
    )
    staged = client.post(
        f"/office/candidates/{candidate_id}/approve-at",
        data={**form, "publish_at": "2099-12-01T09:00"},
        follow_redirects=True,
    )

    assert "has passed" in past.get_data(as_text=True)
    page = staged.get_data(as_text=True)
    assert "it will be published at 2099-12-01 09:00 America/Chicago" in page
    assert "2099-12-01 15:00 UTC (America/Chicago)" in page  # the office's embargo list
    assert client.get("/datasets/tiny/").status_code == 404

    cancelled = client.post(
        "/office/datasets/tiny/embargo/cancel", data={"csrf_token": token}, follow_redirects=True
    )

    assert "back in review" in cancelled.get_data(as_text=True)
    with portal.db.session() as session:
        assert session.get(Candidate, candidate_id).status == CandidateStatus.PENDING
        assert session.scalar(select(Embargo.status)) == EmbargoStatus.CANCELLED
