"""The Atom feed (`/feed.atom`): every version published or retracted, and every published
correction, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree import ElementTree

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.catalogs.files import (
    DEFAULT_PUBLISHER,
    dataset_url,
    file_url,
    publisher,
    versions_url,
)
from portal.models import Version, utcnow
from portal.watches.feed import Event, correction_events

ATOM = "http://www.w3.org/2005/Atom"
FEED_TITLE = "Police transparency portal: new versions"
# Feed readers only need recent news; the version history pages keep everything.
FEED_LIMIT = 200
PUBLISHED = "published"
RETRACTED = "retracted"


@dataclass(frozen=True)
class FeedEvent:
    """A version being published, or being retracted."""

    version: Version
    kind: str
    at: datetime


def feed_events(session: Session, limit: int = FEED_LIMIT) -> list[FeedEvent]:
    """The latest publications and retractions of every dataset, newest first."""
    load = (selectinload(Version.files), selectinload(Version.dataset))
    published = session.scalars(
        select(Version).options(*load).order_by(Version.published_at.desc()).limit(limit)
    )
    retracted = session.scalars(
        select(Version)
        .where(Version.retracted_at.is_not(None))
        .options(*load)
        .order_by(Version.retracted_at.desc())
        .limit(limit)
    )
    events = [FeedEvent(v, PUBLISHED, v.published_at) for v in published]
    events += [FeedEvent(v, RETRACTED, v.retracted_at) for v in retracted]
    events.sort(key=lambda event: (event.at, event.kind == RETRACTED), reverse=True)
    return events[:limit]


def atom_feed(session: Session, base_url: str, limit: int = FEED_LIMIT) -> bytes:
    """The feed document, UTF-8 encoded Atom 1.0 (RFC 4287)."""
    # Written with ElementTree rather than feedgen: feedgen 1.0.0 drops the rel, type and
    # length of entry links, which leaves several rel="alternate" links, invalid in Atom.
    events = feed_events(session, limit)
    feed = ElementTree.Element("feed", {"xmlns": ATOM, "xml:lang": "en"})
    _text(feed, "id", f"{base_url}/feed.atom")
    _text(feed, "title", FEED_TITLE)
    _text(feed, "subtitle", "Each new version of a dataset, and each retraction, as it happens.")
    _text(feed, "updated", stamp(events[0].at if events else utcnow()))
    names = {publisher(event.version.dataset)[0] for event in events}
    _author(feed, names.pop() if len(names) == 1 else DEFAULT_PUBLISHER, None)
    _link(feed, f"{base_url}/feed.atom", "self", "application/atom+xml")
    _link(feed, f"{base_url}/", "alternate", "text/html")
    _text(feed, "generator", "Police transparency portal")
    entries = [(event.at, event) for event in events]
    entries += [(c.at, c) for c in correction_events(session, base_url)]
    entries.sort(key=lambda pair: pair[0], reverse=True)
    for _, event in entries[:limit]:
        if isinstance(event, FeedEvent):
            _entry(feed, event, base_url)
        else:
            _correction(feed, event)
    ElementTree.indent(feed)
    return ElementTree.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"


def _entry(feed: ElementTree.Element, event: FeedEvent, base_url: str) -> None:
    version = event.version
    dataset = version.dataset
    slug = dataset.slug
    # The version's permanent descriptor URL names it for good; a retraction is a second event.
    permanent = file_url(base_url, slug, "datapackage.json", version.number)
    entry = ElementTree.SubElement(feed, "entry")
    _text(entry, "id", permanent if event.kind == PUBLISHED else f"{permanent}#retracted")
    _text(entry, "title", f"{dataset.title}: version {version.number} {event.kind}")
    _text(entry, "updated", stamp(event.at))
    _text(entry, "published", stamp(event.at))
    _author(entry, *publisher(dataset))
    _link(entry, dataset_url(base_url, slug), "alternate", "text/html")
    _link(entry, versions_url(base_url, slug), "related", "text/html", title="Version history")
    archive = version.file(f"{slug}.zip")
    if version.retracted_at is None and archive is not None:
        _link(
            entry,
            file_url(base_url, slug, archive.filename, version.number),
            "enclosure",
            archive.media_type,
            length=str(archive.size),
        )
    _text(entry, "summary", _summary(event))


def _correction(feed: ElementTree.Element, event: Event) -> None:
    entry = ElementTree.SubElement(feed, "entry")
    _text(entry, "id", event.id)
    _text(entry, "title", event.title)
    _text(entry, "updated", stamp(event.at))
    _link(entry, event.link, "alternate", "text/html")
    _text(entry, "summary", event.summary)


def _text(parent: ElementTree.Element, tag: str, text: str) -> None:
    ElementTree.SubElement(parent, tag).text = text


def _author(parent: ElementTree.Element, name: str, email: str | None) -> None:
    author = ElementTree.SubElement(parent, "author")
    _text(author, "name", name)
    if email:
        _text(author, "email", email)


def _link(parent: ElementTree.Element, href: str, rel: str, type_: str, **extra: str) -> None:
    ElementTree.SubElement(parent, "link", {"href": href, "rel": rel, "type": type_, **extra})


def stamp(moment: datetime) -> str:
    # RFC 3339 in UTC, to the second: what Atom's date constructs require.
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _summary(event: FeedEvent) -> str:
    version = event.version
    dataset = version.dataset
    if event.kind == RETRACTED:
        return (
            f"Version {version.number} of {dataset.title} was retracted: "
            f"{version.retraction_reason or 'no reason given'}. Its files are no longer served."
        )
    tables = [
        f"{f.row_count:,} rows in {f.filename}"
        for f in version.files
        if f.row_count is not None and f.media_type == "text/csv"
    ]
    parts = [
        f"Version {version.number} of {dataset.title}: {', '.join(tables) or 'no tables'}.",
        f"Files: {', '.join(f.filename for f in version.files)}.",
    ]
    if version.note:
        parts.append(f"Note: {version.note}")
    return " ".join(parts)
