"""The records office: login, roles, CSRF, and the approve/reject flow through the web."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.models import AuditEvent, Candidate, CandidateStatus, User
from tests.conftest import OFFICER, csrf_token, login
from tests.flow import run


def _candidate_id(portal) -> int:
    with portal.db.session() as session:
        return session.scalar(select(Candidate.id))


def test_anonymous_visitors_are_sent_to_the_login_page(portal, client, uof_source):
    run(portal)
    candidate = _candidate_id(portal)

    for url in ("/office/", f"/office/candidates/{candidate}"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    forged = client.post(f"/office/candidates/{candidate}/approve", data={"note": "x"})
    assert forged.status_code in (302, 400)
    with portal.db.session() as session:
        assert session.get(Candidate, candidate).status == CandidateStatus.PENDING


def test_wrong_password_is_refused_and_audited(portal, client, officer):
    response = login(client, OFFICER[0], "not the password")

    assert response.status_code == 401
    assert "do not match" in response.get_data(as_text=True)
    assert client.get("/office/").status_code == 302
    with portal.db.session() as session:
        assert (
            session.scalar(select(AuditEvent.action).where(AuditEvent.action == "login.failed"))
            == "login.failed"
        )


def test_login_is_rate_limited(portal, client, officer):
    statuses = [login(client, OFFICER[0], "wrong").status_code for _ in range(12)]

    assert statuses[0] == 401
    assert 429 in statuses


def test_an_officer_reviews_and_approves_a_candidate(portal, client, uof_source, officer):
    run(portal)
    candidate = _candidate_id(portal)
    assert login(client).status_code == 302

    queue = client.get("/office/").get_data(as_text=True)
    page = client.get(f"/office/candidates/{candidate}").get_data(as_text=True)
    token = csrf_token(client, f"/office/candidates/{candidate}")
    response = client.post(
        f"/office/candidates/{candidate}/approve",
        data={"note": "Checked against the RMS", "csrf_token": token},
    )

    assert f"candidate {candidate}" in queue
    assert "valid against its schema" in page
    assert "UOF-2019-010001" in page  # the first rows are shown
    assert response.status_code == 302
    assert "Published Use of force version 1" in client.get("/office/").get_data(as_text=True)
    assert client.get("/datasets/use-of-force/latest/incidents.csv").status_code == 200
    with portal.db.session() as session:
        approved = session.get(Candidate, candidate)
        assert approved.status == CandidateStatus.APPROVED
        assert approved.decided_by.email == OFFICER[0]
        assert approved.note == "Checked against the RMS"


def test_a_forged_approve_without_csrf_token_is_rejected(portal, client, uof_source, officer):
    run(portal)
    candidate = _candidate_id(portal)
    login(client)

    response = client.post(f"/office/candidates/{candidate}/approve", data={"note": "forged"})

    assert response.status_code == 400
    with portal.db.session() as session:
        assert session.get(Candidate, candidate).status == CandidateStatus.PENDING


def test_reject_needs_a_reason(portal, client, uof_source, officer):
    run(portal)
    candidate = _candidate_id(portal)
    login(client)
    token = csrf_token(client, f"/office/candidates/{candidate}")

    empty = client.post(
        f"/office/candidates/{candidate}/reject",
        data={"note": "", "csrf_token": token},
        follow_redirects=True,
    )
    given = client.post(
        f"/office/candidates/{candidate}/reject", data={"note": "Wrong month", "csrf_token": token}
    )

    assert "needs a note" in empty.get_data(as_text=True)
    assert given.status_code == 302
    with portal.db.session() as session:
        assert session.get(Candidate, candidate).status == CandidateStatus.REJECTED


def test_a_disabled_account_loses_office_access_at_once(portal, client, officer):
    login(client)
    assert client.get("/office/").status_code == 200

    with portal.db.session() as session:
        session.scalar(select(User).where(User.email == OFFICER[0])).active = False

    assert client.get("/office/").status_code == 302
    assert login(client).status_code == 401


def test_security_headers_are_sent(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_login_form_carries_a_csrf_token(client):
    page = client.get("/login").get_data(as_text=True)
    assert re.search(r'name="csrf_token"', page)


def test_a_signed_in_session_expires_after_the_configured_hours(portal, client, officer):
    from datetime import UTC, datetime, timedelta
    from email.utils import parsedate_to_datetime

    response = login(client)

    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    lifetime = expires - datetime.now(UTC)
    hours = timedelta(hours=portal.config.session_hours)
    assert hours - timedelta(minutes=5) < lifetime <= hours
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_https_answers_add_hsts_and_errors_carry_the_security_headers(portal):
    # Behind one trusted TLS proxy, as the README sets it up; clients reaching gunicorn
    # directly over HTTP get no HSTS.
    from dataclasses import replace

    from portal import create_app

    app = create_app(replace(portal.config, trusted_proxies=1))
    client = app.test_client()
    secure = client.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    plain = client.get("/healthz")
    missing = client.get("/no-such-page/")
    app.extensions["portal"].db.dispose()

    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in plain.headers
    assert missing.status_code == 404 and missing.headers["X-Frame-Options"] == "DENY"
    assert len(missing.headers.getlist("Content-Security-Policy")) == 1
