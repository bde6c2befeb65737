"""Webhooks: register an address and a secret; send HMAC-SHA256-signed JSON to it.

A receiver checks a delivery by recomputing
`hex(HMAC-SHA256(secret, timestamp + "." + body))` and comparing it with the
`X-Portal-Signature: sha256=<hex>` header, and rejects old `X-Portal-Timestamp`s (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import audit
from portal.errors import PortalError
from portal.watches.models import Webhook

TIMEOUT_SECONDS = 5.0
USER_AGENT = "police-transparency-portal-webhooks/1"


class WatchRefused(PortalError):
    """A webhook or subscriber cannot be registered as given."""


class DeliveryFailed(PortalError):
    """The receiver could not be reached or did not accept the delivery."""


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def send(
    url: str, secret: str, event: str, delivery_id: int, payload: dict[str, Any], now: datetime
) -> int:
    """POST the payload; returns the HTTP status. DeliveryFailed when nothing answered."""
    body = body_of(payload)
    timestamp = str(int(now.timestamp()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Portal-Event": event,
        "X-Portal-Delivery": str(delivery_id),
        "X-Portal-Timestamp": timestamp,
        "X-Portal-Signature": signature(secret, timestamp, body),
    }
    import httpx  # here: every publish imports this module, few deliver (0.1 s at start-up)

    try:
        response = httpx.post(
            url, content=body, headers=headers, timeout=TIMEOUT_SECONDS, follow_redirects=False
        )
    except httpx.HTTPError as error:
        raise DeliveryFailed(f"{error.__class__.__name__}: {error}"[:500]) from None
    return response.status_code


def register(
    session: Session, url: str, created_by: str, secret: str = "", dataset: str | None = None
) -> tuple[Webhook, str]:
    """Add a webhook; returns it and its secret (generated when none is given)."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WatchRefused("a webhook needs an http:// or https:// address")
    if len(url) > 2000:
        raise WatchRefused("the webhook address is too long")
    secret = secret.strip() or secrets.token_urlsafe(32)
    if len(secret) < 16 or len(secret) > 200:
        raise WatchRefused("the secret must be 16 to 200 characters long")
    webhook = Webhook(url=url, secret=secret, dataset_slug=dataset or None, created_by=created_by)
    session.add(webhook)
    session.flush()
    audit.record(
        session, created_by, "webhook.create", "webhook", webhook.id, url=url, dataset=dataset
    )
    return webhook, secret


def set_active(session: Session, webhook_id: int, active: bool, actor: str) -> Webhook:
    webhook = session.get(Webhook, webhook_id)
    if webhook is None:
        raise WatchRefused(f"there is no webhook {webhook_id}")
    webhook.active = active
    audit.record(
        session, actor, "webhook.enable" if active else "webhook.disable", "webhook", webhook.id
    )
    return webhook


def all_webhooks(session: Session) -> list[Webhook]:
    return list(session.scalars(select(Webhook).order_by(Webhook.id)))
