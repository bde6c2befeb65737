"""The Atom feed (`/feed.atom`): every version published or retracted, newest first."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from feedgen.feed import FeedGenerator
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
    events = feed_events(session, limit)
    feed = FeedGenerator()
    feed.id(f"{base_url}/feed.atom")
    feed.title(FEED_TITLE)
    feed.subtitle("Each new version of a dataset, and each retraction, as it happens.")
    feed.language("en")
    feed.link(href=f"{base_url}/feed.atom", rel="self", type="application/atom+xml")
    feed.link(href=f"{base_url}/", rel="alternate", type="text/html")
    feed.generator("Police transparency portal")
    names = Counter(publisher(event.version.dataset)[0] for event in events)
    feed.author({"name": names.most_common(1)[0][0] if len(names) == 1 else DEFAULT_PUBLISHER})
    feed.updated(events[0].at if events else utcnow())
    for event in events:
        _add_entry(feed, event, base_url)
    return feed.atom_str(pretty=True)


def _add_entry(feed: FeedGenerator, event: FeedEvent, base_url: str) -> None:
    version = event.version
    dataset = version.dataset
    slug = dataset.slug
    # The version's permanent descriptor URL names it for good; a retraction is a second event.
    permanent = file_url(base_url, slug, "datapackage.json", version.number)
    entry = feed.add_entry(order="append")
    entry.id(permanent if event.kind == PUBLISHED else f"{permanent}#retracted")
    entry.title(f"{dataset.title}: version {version.number} {event.kind}")
    entry.updated(event.at)
    entry.published(event.at)
    name, email = publisher(dataset)
    entry.author({"name": name, "email": email} if email else {"name": name})
    entry.link(href=dataset_url(base_url, slug), rel="alternate", type="text/html")
    entry.link(
        href=versions_url(base_url, slug), rel="related", type="text/html", title="Version history"
    )
    archive = version.file(f"{slug}.zip")
    if version.retracted_at is None and archive is not None:
        entry.link(
            href=file_url(base_url, slug, archive.filename, version.number),
            rel="enclosure",
            type=archive.media_type,
            length=str(archive.size),
        )
    entry.summary(_summary(event))


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
