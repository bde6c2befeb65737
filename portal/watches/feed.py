"""A dataset's own Atom feed: its versions published and retracted, and its corrections.

`correction_events` is also what the site-wide `/feed.atom` can merge in to list corrections.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree import ElementTree

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal import corrections
from portal.models import Dataset, Version, utcnow

ATOM = "http://www.w3.org/2005/Atom"
LIMIT = 200


@dataclass(frozen=True)
class Event:
    id: str
    title: str
    at: datetime
    summary: str
    link: str


def correction_events(
    session: Session, base_url: str, dataset: Dataset | None = None
) -> list[Event]:
    """Published corrections as feed events (all datasets when `dataset` is None)."""
    events = []
    for c in corrections.published(session, dataset, LIMIT):
        slug = c.dataset.slug
        rows = f" Rows: {', '.join(c.rows)}." if c.rows else ""
        events.append(
            Event(
                f"{base_url}/datasets/{slug}/corrections/{c.id}",
                f"{c.dataset.title}: correction to version {c.version.number}",
                c.published_at,
                f"What was wrong: {c.what_was_wrong} What changed: {c.what_changed}{rows}",
                f"{base_url}/datasets/{slug}/versions/",
            )
        )
    return events


def dataset_events(session: Session, base_url: str, dataset: Dataset) -> list[Event]:
    slug = dataset.slug
    versions = session.scalars(
        select(Version)
        .where(Version.dataset_id == dataset.id)
        .options(selectinload(Version.files))
        .order_by(Version.number.desc())
        .limit(LIMIT)
    )
    events = []
    for version in versions:
        permanent = f"{base_url}/datasets/{slug}/v{version.number}/datapackage.json"
        files = ", ".join(f"{f.filename} (SHA-256 {f.sha256})" for f in version.files)
        note = f" Note: {version.note}" if version.note else ""
        events.append(
            Event(
                permanent,
                f"{dataset.title}: version {version.number} published",
                version.published_at,
                f"Version {version.number}. Files: {files}.{note}",
                f"{base_url}/datasets/{slug}/",
            )
        )
        if version.retracted_at is not None:
            events.append(
                Event(
                    f"{permanent}#retracted",
                    f"{dataset.title}: version {version.number} retracted",
                    version.retracted_at,
                    f"Version {version.number} was retracted: {version.retraction_reason}",
                    f"{base_url}/datasets/{slug}/versions/",
                )
            )
    events += correction_events(session, base_url, dataset)
    events.sort(key=lambda e: e.at, reverse=True)
    return events[:LIMIT]


def dataset_feed(session: Session, base_url: str, dataset: Dataset) -> bytes:
    """The dataset's Atom 1.0 document (RFC 4287), UTF-8."""
    events = dataset_events(session, base_url, dataset)
    self_url = f"{base_url}/datasets/{dataset.slug}/feed.atom"
    feed = ElementTree.Element("feed", {"xmlns": ATOM, "xml:lang": "en"})
    _text(feed, "id", self_url)
    _text(feed, "title", f"{dataset.title}: versions, retractions and corrections")
    _text(feed, "updated", _stamp(events[0].at if events else utcnow()))
    author = ElementTree.SubElement(feed, "author")
    _text(author, "name", ((dataset.meta or {}).get("publisher") or {}).get("name") or "Police")
    ElementTree.SubElement(feed, "link", {"href": self_url, "rel": "self"})
    ElementTree.SubElement(feed, "link", {"href": f"{base_url}/datasets/{dataset.slug}/"})
    for event in events:
        entry = ElementTree.SubElement(feed, "entry")
        _text(entry, "id", event.id)
        _text(entry, "title", event.title)
        _text(entry, "updated", _stamp(event.at))
        ElementTree.SubElement(entry, "link", {"href": event.link, "type": "text/html"})
        _text(entry, "summary", event.summary)
    ElementTree.indent(feed)
    return ElementTree.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"


def _text(parent: ElementTree.Element, tag: str, text: str) -> None:
    ElementTree.SubElement(parent, tag).text = text


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
