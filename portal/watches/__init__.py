"""Watches: tell registered webhooks and e-mail subscribers about publications, retractions
and corrections.

`notify` only queues deliveries in the database (in the caller's transaction, so nothing is
announced that was rolled back); the scheduler process sends them with `deliver_due`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from portal.config import Config
from portal.models import Version, utcnow
from portal.watches.models import Delivery, Subscriber, Webhook

EVENTS = (
    "version.published",
    "version.retracted",
    "correction.published",
    "policy.published",  # a dataset slug `policy:<name>` watches one policy (portal.policies)
    "policy.retracted",
)


def notify(
    session: Session, config: Config, event: str, dataset: str, details: dict[str, Any]
) -> list[Delivery]:
    """Queue one delivery per active webhook and (with SMTP configured) per subscriber."""
    payload = {
        "event": event,
        "dataset": dataset,
        "at": utcnow().isoformat(timespec="seconds"),
        "url": f"{config.base_url}/datasets/{dataset}/",
        **details,
    }
    queued = []
    for webhook in session.scalars(
        select(Webhook).where(
            Webhook.active.is_(True),
            or_(Webhook.dataset_slug.is_(None), Webhook.dataset_slug == dataset),
        )
    ):
        queued.append(Delivery(channel="webhook", webhook=webhook, event=event, payload=payload))
    if config.smtp_url and config.mail_from:
        for subscriber in session.scalars(
            select(Subscriber).where(
                Subscriber.active.is_(True),
                or_(Subscriber.dataset_slug.is_(None), Subscriber.dataset_slug == dataset),
            )
        ):
            queued.append(
                Delivery(channel="email", subscriber=subscriber, event=event, payload=payload)
            )
    session.add_all(queued)
    return queued


def version_details(config: Config, version: Version, ledger_entry: Any) -> dict[str, Any]:
    """The payload of a version event: its number, files and ledger link."""
    slug = version.dataset.slug
    base = f"{config.base_url}/datasets/{slug}/v{version.number}"
    return {
        "version": version.number,
        "title": version.dataset.title,
        "files": [
            {"name": f.filename, "size": f.size, "sha256": f.sha256, "url": f"{base}/{f.filename}"}
            for f in version.files
        ],
        "ledger": {"seq": ledger_entry.seq, "hash": ledger_entry.hash},
    }


def released(session: Session, config: Config, version: Version, entry: Any) -> None:
    notify(
        session,
        config,
        "version.published",
        version.dataset.slug,
        {**version_details(config, version, entry), "note": version.note},
    )


def retracted(session: Session, config: Config, version: Version, entry: Any) -> None:
    notify(
        session,
        config,
        "version.retracted",
        version.dataset.slug,
        {**version_details(config, version, entry), "reason": version.retraction_reason},
    )


from portal.watches.delivery import deliver_due  # noqa: E402  (the scheduler's entry point)

__all__ = ["EVENTS", "deliver_due", "notify", "released", "retracted", "version_details"]
