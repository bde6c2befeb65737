"""Review a records officer can trust: the diff, retraction, the audit trail, roles."""

from __future__ import annotations

import csv
from datetime import date

import pytest
from sqlalchemy import select

from portal.demo import use_of_force
from portal.models import AuditEvent, Candidate, Dataset, Version
from portal.releases import retractions
from portal.users import get_user
from tests.conftest import ADMIN, OFFICER, csrf_token, login
from tests.flow import approve, publish, run


def _edit_source(source, change) -> None:
    with source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows = change(rows)
    with source.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(rows)


# SQLite only: the diff is computed from the published and staged files, not by the engine.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_diff_counts_added_removed_and_changed_rows(portal, uof_source, officer):
    use_of_force.generate(uof_source.parent, until=date(2026, 10, 1))
    publish(portal, officer)
    use_of_force.generate(uof_source.parent, until=date(2026, 11, 1))
    with uof_source.open(encoding="utf-8", newline="") as handle:
        october = [r for r in csv.reader(handle) if r[2].startswith("2026-10")]

    def change(rows):
        header, body = rows[0], rows[1:]
        removed = body[:2]  # two subjects dropped after review
        body = body[2:]
        body[0][12] = "H" if body[0][12] != "H" else "N"  # one ethnicity corrected
        return [header, *body], removed

    removed_rows: list = []

    def apply(rows):
        new, removed = change(rows)
        removed_rows.extend(removed)
        return new

    _edit_source(uof_source, apply)
    run(portal)

    with portal.db.session() as session:
        candidate = session.scalars(select(Candidate).order_by(Candidate.id.desc())).first()
        diff = candidate.report["diff"]["incidents"]
    assert diff["added"] == len(october)
    assert diff["removed"] == 2
    assert diff["changed"] == 1
    assert diff["sampleChanged"][0]["fields"]["subject_ethnicity"]["new"] in (
        "hispanic",
        "not-hispanic",
    )
    assert {(r["incident_id"], r["subject_number"]) for r in diff["sampleRemoved"]} == {
        (r[0], r[1]) for r in removed_rows
    }

    version = approve(portal, officer)
    incidents = version.changelog["resources"]["incidents"]
    assert (incidents["added"], incidents["removed"], incidents["changed"]) == (len(october), 2, 1)
    total = {
        k: sum(r[k] for r in version.changelog["resources"].values())
        for k in ("added", "removed", "changed")
    }
    assert version.changelog["text"] == (
        f"{total['added']:,} rows added, {total['removed']:,} rows removed, "
        f"{total['changed']:,} corrected."
    )


# SQLite only: the privacy report and the diff come from the files, not from the engine.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_candidate_page_shows_the_privacy_report_and_the_diff(
    portal, client, uof_source, officer
):
    run(portal)
    login(client)
    with portal.db.session() as session:
        candidate = session.scalar(select(Candidate.id))

    page = client.get(f"/office/candidates/{candidate}").get_data(as_text=True)

    assert "Privacy report" in page
    assert "SubjectName" in page and "never published" in page
    assert "First release" in page


def test_retraction_serves_410_and_moves_latest_back(portal, client, uof_source, officer):
    use_of_force.generate(uof_source.parent, until=date(2026, 10, 1))
    first = publish(portal, officer)
    use_of_force.generate(uof_source.parent, until=date(2026, 11, 1))
    second = publish(portal, officer)
    latest_before = client.get("/datasets/use-of-force/latest/incidents.csv").data

    with portal.db.session() as session:
        retractions.retract(
            session,
            "use-of-force",
            2,
            get_user(session, officer),
            "District codes of October were wrong.",
        )

    gone = client.get("/datasets/use-of-force/v2/incidents.csv")
    assert gone.status_code == 410
    assert "District codes of October were wrong." in gone.get_data(as_text=True)
    latest = client.get("/datasets/use-of-force/latest/incidents.csv")
    assert latest.status_code == 200
    assert latest.data != latest_before
    assert latest.data == client.get("/datasets/use-of-force/v1/incidents.csv").data
    history = client.get("/datasets/use-of-force/versions/").get_data(as_text=True)
    assert "Withdrawn on" in history and "District codes of October were wrong." in history
    with portal.db.session() as session:
        assert session.scalar(select(Dataset)).current_version_id == first.id
        assert session.get(Version, second.id).retracted_at is not None
        with pytest.raises(Exception, match="already retracted"):
            retractions.retract(session, "use-of-force", 2, get_user(session, officer), "again")


def test_every_action_is_in_the_audit_log(portal, client, uof_source, officer):
    login(client, *ADMIN)
    token = csrf_token(client, "/office/users/")
    client.post(
        "/office/users/",
        data={
            "email": "new@example.org",
            "role": "officer",
            "password": "a long enough password",
            "csrf_token": token,
        },
    )
    run(portal)
    with portal.db.session() as session:
        candidate = session.scalar(select(Candidate.id))
    client.post(
        f"/office/candidates/{candidate}/reject", data={"note": "not yet", "csrf_token": token}
    )
    use_of_force.generate(uof_source.parent, until=date(2026, 10, 1))
    publish(portal, officer)
    with portal.db.session() as session:
        retractions.retract(session, "use-of-force", 1, get_user(session, officer), "test")

    with portal.db.session() as session:
        actions = set(session.scalars(select(AuditEvent.action)))
    assert {
        "login",
        "user.create",
        "run.start",
        "run.succeeded",
        "candidate.reject",
        "candidate.approve",
        "version.retract",
    } <= actions
    page = client.get("/office/audit/").get_data(as_text=True)
    assert "candidate.approve" in page and "version.retract" in page and "new@example.org" in page


# SQLite only: who may do what is decided by the roles in the app, not by the engine.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_officers_cannot_do_admin_actions(portal, client, officer):
    login(client, *OFFICER)

    assert client.get("/office/users/").status_code == 403
    token = csrf_token(client, "/office/")
    created = client.post(
        "/office/users/",
        data={
            "email": "x@example.org",
            "role": "admin",
            "password": "a long enough password",
            "csrf_token": token,
        },
    )
    assert created.status_code == 403
    assert client.get("/office/audit/").status_code == 200


def test_an_admin_resets_a_password_and_disables_an_account(portal, client, officer):
    login(client, *ADMIN)
    token = csrf_token(client, "/office/users/")
    with portal.db.session() as session:
        user_id = get_user(session, OFFICER[0]).id

    client.post(
        f"/office/users/{user_id}",
        data={"action": "password", "csrf_token": token, "password": "a brand new password"},
    )
    other = client.application.test_client()
    assert login(other, OFFICER[0], "a brand new password").status_code == 302
    client.post(f"/office/users/{user_id}", data={"action": "disable", "csrf_token": token})
    assert other.get("/office/").status_code == 302  # signed out at once


# SQLite only: sign-in is checked by the app before any query.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_anonymous_users_cannot_reach_any_office_page(client):
    for url in ("/office/", "/office/users/", "/office/audit/"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_an_officer_retracts_from_the_office_with_a_notice(client, published_uof):
    login(client)
    page = client.get("/office/datasets/use-of-force/versions")
    token = csrf_token(client, "/office/datasets/use-of-force/versions")

    empty = client.post(
        "/office/datasets/use-of-force/versions/1/retract",
        data={"reason": " ", "confirm": "yes", "csrf_token": token},
    )
    done = client.post(
        "/office/datasets/use-of-force/versions/1/retract",
        data={"reason": "Wrong extract", "confirm": "yes", "csrf_token": token},
        follow_redirects=True,
    )

    assert "Retract version 1" in page.get_data(as_text=True)
    assert "give a public reason" in empty.get_data(as_text=True)
    assert "Retracted" in done.get_data(as_text=True)
    assert client.get("/datasets/use-of-force/v1/incidents.csv").status_code == 410
    # Every version withdrawn: `latest` gives the notice too, never a 404.
    latest = client.get("/datasets/use-of-force/latest/incidents.csv")
    assert latest.status_code == 410 and "Wrong extract" in latest.get_data(as_text=True)
