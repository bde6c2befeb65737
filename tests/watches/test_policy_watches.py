"""Watches on a policy: a webhook registered for `policy:<name>` hears of its new versions."""

from __future__ import annotations

import json
from datetime import date

from portal.policies import review
from portal.users import get_user
from tests.conftest import ADMIN, OFFICER, csrf_token, login
from tests.releases.conftest import catch_up

SECRET = "a-secret-of-at-least-16"


def test_a_webhook_on_a_policy_hears_of_its_versions_and_of_no_other(
    portal, client, officer, scheduler, clock, receiver
):
    login(client, *ADMIN)
    for watched in ("policy:use-of-force", "policy:vehicle-pursuits"):
        token = csrf_token(client, "/office/watches/")
        client.post(
            "/office/watches/webhooks",
            data={"csrf_token": token, "url": receiver.url, "secret": SECRET, "dataset": watched},
        )
    with portal.db.session() as session:
        policy = review.ensure_policy(session, "use-of-force", "300", "Use of force")
        candidate = review.submit(
            session, portal.config, policy, "uof.md", b"# Use of force\n\nOfficers report.\n",
            date(2026, 8, 1), source="upload", actor=OFFICER[0],
        )  # fmt: skip
        review.approve(
            session, portal.config, candidate.id, get_user(session, OFFICER[0]), "First text"
        )

    catch_up(clock)
    scheduler.tick()  # the receiver answers 500 first
    clock.advance(seconds=30)
    scheduler.tick()

    # One delivery (refused once, then accepted); the vehicle-pursuits webhook heard nothing.
    assert len(receiver.requests) == 2
    bodies = [json.loads(r["body"]) for r in receiver.requests]
    assert bodies[0] == bodies[1]
    payload = bodies[-1]
    assert receiver.requests[-1]["headers"]["X-Portal-Event"] == "policy.published"
    assert (payload["policy"], payload["version"], payload["dataset"]) == (
        "use-of-force",
        1,
        "policy:use-of-force",
    )
    assert payload["url"].endswith("/policies/use-of-force/v1/")
    assert payload["note"] == "First text"
    assert [f["name"] for f in payload["files"]] == ["text.md", "original.md"]
