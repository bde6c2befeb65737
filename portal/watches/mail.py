"""E-mail notifications: subscribers an admin manages, sent through the configured SMTP server."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import audit, languages
from portal.config import Config
from portal.languages import N_, gettext
from portal.watches.models import Subscriber
from portal.watches.webhooks import DeliveryFailed, WatchRefused

TIMEOUT_SECONDS = 5.0
SUBJECTS = {
    "version.published": N_("%(title)s: version %(version)s published"),
    "version.retracted": N_("%(title)s: version %(version)s retracted"),
    "correction.published": N_("%(dataset)s: correction to version %(version)s"),
    "policy.published": N_("%(title)s policy: version %(version)s published"),
    "policy.retracted": N_("%(title)s policy: version %(version)s retracted"),
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


def compose(payload: dict[str, Any], language: str = languages.DEFAULT) -> tuple[str, str]:
    """The subject and body of the message for one event, in the subscriber's language.

    The records office's own words (a reason, a note, a correction) are shown as written."""
    with languages.use(language):
        details = {
            "title": payload.get("title") or payload.get("dataset"),
            "dataset": payload.get("dataset"),
            "version": payload.get("version") or (payload.get("correction") or {}).get("version"),
        }
        said = SUBJECTS.get(payload["event"])
        subject = (
            gettext(said, **details) if said else f"{payload.get('dataset')}: {payload['event']}"
        )
        page = (
            gettext("Policy page: %(url)s", url=payload.get("url"))
            if payload["event"].startswith("policy.")
            else gettext("Dataset page: %(url)s", url=payload.get("url"))
        )
        lines = [subject, "", page]
        if payload.get("reason"):
            lines.append(gettext("Reason: %(reason)s", reason=payload["reason"]))
        if payload.get("note"):
            lines.append(gettext("Note: %(note)s", note=payload["note"]))
        correction = payload.get("correction")
        if correction:
            lines += [
                gettext("What was wrong: %(words)s", words=correction["what_was_wrong"]),
                gettext("What changed: %(words)s", words=correction["what_changed"]),
            ]
            if correction.get("rows"):
                lines.append(gettext("Rows: %(rows)s", rows=", ".join(correction["rows"])))
        for file in payload.get("files", []):
            lines.append(
                gettext(
                    "%(file)s  %(size)s bytes  SHA-256 %(sha256)s",
                    file=file["name"],
                    size=file["size"],
                    sha256=file["sha256"],
                )
            )
        ledger = payload.get("ledger")
        if ledger:
            lines.append(
                gettext(
                    "Ledger entry %(number)s: %(hash)s", number=ledger["seq"], hash=ledger["hash"]
                )
            )
    return subject, "\n".join(lines) + "\n"


def subscribe(
    session: Session,
    email: str,
    created_by: str,
    dataset: str | None = None,
    language: str = languages.DEFAULT,
) -> Subscriber:
    _name, address = parseaddr(email.strip())
    if "@" not in address or address != email.strip() or len(address) > 320:
        raise WatchRefused(f"{email!r} is not an e-mail address")
    if session.scalar(select(Subscriber).where(Subscriber.email == address)) is not None:
        raise WatchRefused(f"{address} is already subscribed")
    if languages.supported(language) != language:
        raise WatchRefused(
            f"{language!r} is not a language the portal writes in: "
            + ", ".join(languages.LANGUAGES)
        )
    subscriber = Subscriber(
        email=address, dataset_slug=dataset or None, created_by=created_by, language=language
    )
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
