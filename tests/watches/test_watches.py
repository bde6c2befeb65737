"""Watches: signed webhooks retried with backoff and logged, e-mail through a real SMTP server."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import socket
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.watches import delivery, mail, webhooks
from portal.watches.models import Delivery, DeliveryStatus
from tests.conftest import ADMIN, csrf_token, login
from tests.flow import publish
from tests.releases.conftest import catch_up

SECRET = "a-shared-secret-of-some-length"


def _deliveries(portal) -> list[Delivery]:
    with portal.db.session() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def test_a_publication_is_posted_signed_retried_after_a_failure_and_logged(
    portal, client, officer, scheduler, clock, receiver
):
    login(client, *ADMIN)
    token = csrf_token(client, "/office/watches/")
    client.post(
        "/office/watches/webhooks",
        data={"csrf_token": token, "url": receiver.url, "secret": SECRET},
    )
    version = publish(portal, officer, "tiny")
    assert receiver.requests == []  # the web request only queued it

    catch_up(clock)  # the fake clock started before the delivery was queued
    scheduler.tick()  # the receiver answers 500
    [failed] = _deliveries(portal)
    assert (failed.status, failed.attempts, failed.last_status) == (DeliveryStatus.PENDING, 1, 500)
    assert failed.next_attempt_at == clock.now + timedelta(seconds=30)
    scheduler.tick()
    assert len(receiver.requests) == 1  # not yet due again

    clock.advance(seconds=30)
    scheduler.tick()

    [sent] = _deliveries(portal)
    assert (sent.status, sent.attempts, sent.last_status) == (DeliveryStatus.DELIVERED, 2, 200)
    first, second = receiver.requests
    assert first["body"] == second["body"]
    headers, body = second["headers"], second["body"]
    assert headers["X-Portal-Event"] == "version.published"
    assert headers["X-Portal-Timestamp"] == str(int(clock.now.timestamp()))
    expected = hmac.new(
        SECRET.encode(), headers["X-Portal-Timestamp"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert headers["X-Portal-Signature"] == f"sha256={expected}"
    payload = json.loads(body)
    assert (payload["dataset"], payload["version"]) == ("tiny", version.number)
    assert {f["name"]: f["sha256"] for f in payload["files"]} == {
        f.filename: f.sha256 for f in version.files
    }
    ledger_head = client.get("/ledger.json").get_json()["head"]
    assert payload["ledger"] == {"seq": ledger_head["seq"], "hash": ledger_head["hash"]}
    log = client.get("/office/watches/").get_data(as_text=True)
    assert re.search(r"version.published \(tiny\).*?delivered.*?<td>2</td>", log, re.DOTALL)


def test_an_unreachable_receiver_is_retried_with_growing_waits_then_given_up(
    portal, officer, scheduler, clock
):
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/hook"
    with portal.db.session() as session:
        webhooks.register(session, url, ADMIN[0], SECRET)
    publish(portal, officer, "tiny")
    catch_up(clock)

    waits = []
    for _ in range(delivery.MAX_ATTEMPTS):
        scheduler.tick()
        [item] = _deliveries(portal)
        if item.status == DeliveryStatus.PENDING:
            waits.append(item.next_attempt_at - item.last_attempt_at)
            clock.now = item.next_attempt_at

    assert waits == [timedelta(seconds=30 * 4**n) for n in range(delivery.MAX_ATTEMPTS - 1)]
    assert item.status == DeliveryStatus.FAILED
    assert item.attempts == delivery.MAX_ATTEMPTS
    assert "ConnectError" in item.last_error


def test_webhook_addresses_and_secrets_are_checked(portal):
    with portal.db.session() as session:
        with pytest.raises(webhooks.WatchRefused, match="http"):
            webhooks.register(session, "ftp://127.0.0.1/x", ADMIN[0], SECRET)
        with pytest.raises(webhooks.WatchRefused, match="16 to 200"):
            webhooks.register(session, "http://127.0.0.1/x", ADMIN[0], "short")
        _hook, made = webhooks.register(session, "http://127.0.0.1/x", ADMIN[0])
    assert len(made) >= 32


def test_subscribers_are_emailed_through_the_configured_smtp_server(portal, officer, clock):
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Inbox(Message):
        def handle_message(self, message) -> None:  # noqa: ANN001
            received.append(message)

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    controller = Controller(Inbox(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        portal.config = replace(
            portal.config,
            smtp_url=f"smtp://127.0.0.1:{port}",
            mail_from="records@police.example.gov",
        )
        with portal.db.session() as session:
            mail.subscribe(session, "reporter@example.org", ADMIN[0], "tiny")
        from portal.scheduler.service import Scheduler

        scheduler = Scheduler(portal, clock=clock, holder="test-mail", inline=True)
        version = publish(portal, officer, "tiny")
        catch_up(clock)
        scheduler.tick()
    finally:
        controller.stop()

    [message] = received
    assert message["To"] == "reporter@example.org"
    assert message["From"] == "records@police.example.gov"
    assert message["Subject"] == "Tiny stops tiny: version 1 published"
    text = message.get_payload(decode=True).decode()
    stops = version.file("stops.csv")
    assert f"stops.csv  {stops.size} bytes  SHA-256 {stops.sha256}" in text
    [sent] = _deliveries(portal)
    assert sent.status == DeliveryStatus.DELIVERED
