"""E-mail notifications: subscribers an admin manages, sent through the configured SMTP server."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import audit
from portal.config import Config
from portal.watches.models import Subscriber
from portal.watches.webhooks import DeliveryFailed, WatchRefused

TIMEOUT_SECONDS = 5.0
SUBJECTS = {
    "version.published": "{title}: version {version} published",
    "version.retracted": "{title}: version {version} retracted",
    "correction.published": "{dataset}: correction to version {version}",
    "policy.published": "{title} policy: version {version} published",
    "policy.retracted": "{title} policy: version {version} retracted",
}


def send(config: Config, to: str, subject: str, text: str) -> None:
    """Send one plain-text message through PORTAL_SMTP_URL (smtp://, smtps:// or
    smtp+starttls://, with optional user:password@)."""
    url = urlsplit(config.smtp_url)
    if url.scheme not in ("smtp", "smtps", "smtp+starttls") or not url.hostname:
        raise DeliveryFailed(f"PORTAL_SMTP_URL {url.scheme}://… is not an SMTP address")
    message = EmailMessage()
    message["From"] = config.mail_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    port = url.port or (465 if url.scheme == "smtps" else 25)
    client = smtplib.SMTP_SSL if url.scheme == "smtps" else smtplib.SMTP
    try:
        with client(url.hostname, port, timeout=TIMEOUT_SECONDS) as smtp:
            if url.scheme == "smtp+starttls":
                smtp.starttls()
            if url.username:
                smtp.login(unquote(url.username), unquote(url.password or ""))
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryFailed(f"{error.__class__.__name__}: {error}"[:500]) from None


def compose(payload: dict[str, Any]) -> tuple[str, str]:
    """The subject and body of the message for one event."""
    details = {
        "title": payload.get("title") or payload.get("dataset"),
        "dataset": payload.get("dataset"),
        "version": payload.get("version") or (payload.get("correction") or {}).get("version"),
    }
    subject = SUBJECTS.get(payload["event"], "{dataset}: {event}").format(
        **details, event=payload["event"]
    )
    page = "Policy page" if payload["event"].startswith("policy.") else "Dataset page"
    lines = [subject, "", f"{page}: {payload.get('url')}"]
    if payload.get("reason"):
        lines.append(f"Reason: {payload['reason']}")
    if payload.get("note"):
        lines.append(f"Note: {payload['note']}")
    correction = payload.get("correction")
    if correction:
        lines += [
            f"What was wrong: {correction['what_was_wrong']}",
            f"What changed: {correction['what_changed']}",
        ]
        if correction.get("rows"):
            lines.append(f"Rows: {', '.join(correction['rows'])}")
    for file in payload.get("files", []):
        lines.append(f"{file['name']}  {file['size']} bytes  SHA-256 {file['sha256']}")
    ledger = payload.get("ledger")
    if ledger:
        lines.append(f"Ledger entry {ledger['seq']}: {ledger['hash']}")
    return subject, "\n".join(lines) + "\n"


def subscribe(
    session: Session, email: str, created_by: str, dataset: str | None = None
) -> Subscriber:
    _name, address = parseaddr(email.strip())
    if "@" not in address or address != email.strip() or len(address) > 320:
        raise WatchRefused(f"{email!r} is not an e-mail address")
    if session.scalar(select(Subscriber).where(Subscriber.email == address)) is not None:
        raise WatchRefused(f"{address} is already subscribed")
    subscriber = Subscriber(email=address, dataset_slug=dataset or None, created_by=created_by)
    session.add(subscriber)
    session.flush()
    audit.record(
        session, created_by, "subscriber.create", "subscriber", subscriber.id, dataset=dataset
    )
    return subscriber


def unsubscribe(session: Session, subscriber_id: int, actor: str) -> None:
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None:
        raise WatchRefused(f"there is no subscriber {subscriber_id}")
    subscriber.active = False
    audit.record(session, actor, "subscriber.disable", "subscriber", subscriber.id)


def all_subscribers(session: Session) -> list[Subscriber]:
    return list(session.scalars(select(Subscriber).order_by(Subscriber.email)))
