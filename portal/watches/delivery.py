"""Sending queued deliveries from the scheduler process, with exponential backoff."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.config import Config
from portal.db import Database, FenceCheck, no_fence
from portal.watches import mail, webhooks
from portal.watches.models import Delivery, DeliveryStatus
from portal.watches.webhooks import DeliveryFailed

log = logging.getLogger("portal.watches")
# Waits before each retry: 30 s, then four times longer each time (2 min, 8 min, 32 min, ~2 h).
FIRST_RETRY = timedelta(seconds=30)
BACKOFF_FACTOR = 4
MAX_ATTEMPTS = 6
BATCH = 50
# Sending stops for this tick after this long, so slow receivers never cost the scheduler
# its lease (renewed each tick); the rest wait for the next tick.
BUDGET_SECONDS = 5.0


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt."""
    return FIRST_RETRY * BACKOFF_FACTOR ** (attempts - 1)


@dataclass(frozen=True)
class _Job:
    id: int
    channel: str
    event: str
    payload: dict
    url: str | None
    secret: str | None
    email: str | None
    language: str = "en"  # the subscriber's: the e-mail is written in it


def deliver_due(
    db: Database, config: Config, now: datetime, fence: FenceCheck = no_fence
) -> list[int]:
    """Attempt every delivery that is due; returns the ids attempted.

    A scheduler passes its fence: each send starts only while it still leads, and its outcome
    is recorded only if it still does (a standby that took over sends it again, at worst).
    """
    with db.session() as session:
        jobs = [_job(d) for d in _due(session, now)]
    started = time.monotonic()
    attempted = []
    for job in jobs:
        if time.monotonic() - started > BUDGET_SECONDS:
            break
        with db.session() as session:
            fence(session)
        attempted.append(job.id)
        ok, status, error = _attempt(config, job, now)
        with db.session() as session:
            fence(session)
            _record(session.get(Delivery, job.id), ok, status, error, now)
        log.info(
            "delivery.%s",
            "sent" if ok else "failed",
            extra={"event": "delivery", "delivery": job.id, "ok": ok, "status": status},
        )
    return attempted


def _due(session: Session, now: datetime) -> list[Delivery]:
    return list(
        session.scalars(
            select(Delivery)
            .where(Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at <= now)
            .order_by(Delivery.next_attempt_at, Delivery.id)
            .limit(BATCH)
        )
    )


def _job(delivery: Delivery) -> _Job:
    webhook, subscriber = delivery.webhook, delivery.subscriber
    return _Job(
        delivery.id,
        delivery.channel,
        delivery.event,
        dict(delivery.payload),
        webhook.url if webhook and webhook.active else None,
        webhook.secret if webhook else None,
        subscriber.email if subscriber and subscriber.active else None,
        subscriber.language if subscriber else "en",
    )


def _attempt(config: Config, job: _Job, now: datetime) -> tuple[bool, int | None, str | None]:
    try:
        if job.channel == "webhook":
            if job.url is None:
                return False, None, "the webhook was disabled"
            status = webhooks.send(job.url, job.secret or "", job.event, job.id, job.payload, now)
            return 200 <= status < 300, status, None if status < 300 else f"HTTP {status}"
        if job.email is None:
            return False, None, "the subscriber was removed"
        subject, text = mail.compose(job.payload, job.language)
        mail.send(config, job.email, subject, text)
        return True, None, None
    except DeliveryFailed as error:
        return False, None, str(error)


def _record(
    delivery: Delivery, ok: bool, status: int | None, error: str | None, now: datetime
) -> None:
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status = status
    delivery.last_error = error
    if ok:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
    elif delivery.attempts >= MAX_ATTEMPTS or error in (
        "the webhook was disabled",
        "the subscriber was removed",
    ):
        delivery.status = DeliveryStatus.FAILED
    else:
        delivery.next_attempt_at = now + retry_delay(delivery.attempts)


def recent(session: Session, limit: int = 200) -> list[Delivery]:
    """The delivery log for the office, newest first."""
    return list(session.scalars(select(Delivery).order_by(Delivery.id.desc()).limit(limit)))
