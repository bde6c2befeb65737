"""Atom feeds of the policy library: each version published or retracted, newest first;
every policy's at `/policies/feed.atom`, one policy's at `/policies/<slug>/feed.atom`."""

from __future__ import annotations

from xml.etree import ElementTree

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.catalogs.feed import ATOM, DEFAULT_PUBLISHER, FEED_LIMIT, _author, _link, _text, stamp
from portal.datasets.labels import long_date
from portal.models import utcnow
from portal.policies.library import PUBLIC
from portal.policies.models import Policy, PolicyStatus, PolicyVersion


def events(session: Session, policy: Policy | None = None, limit: int = FEED_LIMIT) -> list[tuple]:
    """(moment, kind, version) for each publication and retraction, newest first."""
    query = (
        select(PolicyVersion)
        .where(PolicyVersion.status.in_(PUBLIC))
        .options(selectinload(PolicyVersion.policy))
        .order_by(PolicyVersion.published_at.desc())
        .limit(limit)
    )
    if policy is not None:
        query = query.where(PolicyVersion.policy_id == policy.id)
    found = []
    for version in session.scalars(query):
        found.append((version.published_at, "published", version))
        if version.status == PolicyStatus.RETRACTED:
            found.append((version.retracted_at, "retracted", version))
    found.sort(key=lambda event: (event[0], event[1] == "retracted"), reverse=True)
    return found[:limit]


def atom_feed(session: Session, base_url: str, policy: Policy | None = None) -> bytes:
    """The feed document, UTF-8 Atom 1.0 (RFC 4287)."""
    happened = events(session, policy)
    if policy is None:
        self_url, page = f"{base_url}/policies/feed.atom", f"{base_url}/policies/"
        title = "Police transparency portal: policy changes"
        subtitle = "Each new version of a department policy, and each retraction."
    else:
        page = f"{base_url}/policies/{policy.slug}/"
        self_url = f"{page}feed.atom"
        title = f"{policy.title}: versions and retractions"
        subtitle = f"Each new version of policy {policy.number} {policy.title}."
    feed = ElementTree.Element("feed", {"xmlns": ATOM, "xml:lang": "en"})
    _text(feed, "id", self_url)
    _text(feed, "title", title)
    _text(feed, "subtitle", subtitle)
    _text(feed, "updated", stamp(happened[0][0] if happened else utcnow()))
    _author(feed, DEFAULT_PUBLISHER, None)
    _link(feed, self_url, "self", "application/atom+xml")
    _link(feed, page, "alternate", "text/html")
    _text(feed, "generator", "Police transparency portal")
    for moment, kind, version in happened:
        _entry(feed, base_url, moment, kind, version)
    ElementTree.indent(feed)
    return ElementTree.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"


def _entry(feed: ElementTree.Element, base_url: str, moment, kind: str, version) -> None:  # noqa: ANN001
    policy = version.policy
    url = f"{base_url}/policies/{policy.slug}/v{version.number}/"
    entry = ElementTree.SubElement(feed, "entry")
    _text(entry, "id", url if kind == "published" else f"{url}#retracted")
    _text(entry, "title", f"{policy.title}: version {version.number} {kind}")
    _text(entry, "updated", stamp(moment))
    _text(entry, "published", stamp(moment))
    _link(entry, url, "alternate", "text/html")
    if kind == "published" and version.number > 1:
        number = version.number
        compare = f"{base_url}/policies/{policy.slug}/compare?from={number - 1}&to={number}"
        _link(entry, compare, "related", "text/html", title="What changed")
    if kind == "retracted":
        summary = (
            f"Version {version.number} of {policy.title} was withdrawn on "
            f"{long_date(version.retracted_at)}: {version.retraction_reason}"
        )
    else:
        summary = (
            f"Version {version.number} of {policy.title}, in effect from "
            f"{long_date(version.effective_on)}. Summary of changes: {version.summary}"
        )
    _text(entry, "summary", summary)
