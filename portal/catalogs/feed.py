"""The Atom feeds: every version published or retracted, and every published correction,
newest first; site-wide at `/feed.atom`, and one dataset's at `/datasets/<slug>/feed.atom`."""

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
from portal.datasets.labels import long_date
from portal.figures.spec import FORMAT as FIGURES_FORMAT
from portal.models import Dataset, Version, utcnow
from portal.releases import corrections

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


@dataclass(frozen=True)
class CorrectionEvent:
    id: str
    title: str
    at: datetime
    summary: str
    link: str


def feed_events(
    session: Session, limit: int = FEED_LIMIT, dataset: Dataset | None = None
) -> list[FeedEvent]:
    """The latest publications and retractions (of every dataset, or of one), newest first."""
    load = (selectinload(Version.files), selectinload(Version.dataset))
    versions = select(Version).options(*load)
    if dataset is not None:
        versions = versions.where(Version.dataset_id == dataset.id)
    published = session.scalars(versions.order_by(Version.published_at.desc()).limit(limit))
    retracted = session.scalars(
        versions.where(Version.retracted_at.is_not(None))
        .order_by(Version.retracted_at.desc())
        .limit(limit)
    )
    events = [FeedEvent(v, PUBLISHED, v.published_at) for v in published]
    events += [FeedEvent(v, RETRACTED, v.retracted_at) for v in retracted]
    events.sort(key=lambda event: (event.at, event.kind == RETRACTED), reverse=True)
    return events[:limit]


def correction_events(
    session: Session, base_url: str, dataset: Dataset | None = None, limit: int = FEED_LIMIT
) -> list[CorrectionEvent]:
    """Published corrections (of every dataset, or of one) as feed entries."""
    events = []
    for c in corrections.published(session, dataset, limit):
        rows = f" Rows: {', '.join(c.rows)}." if c.rows else ""
        events.append(
            CorrectionEvent(
                f"{base_url}/datasets/{c.dataset.slug}/corrections/{c.id}",
                f"{c.dataset.title}: correction to version {c.version.number}",
                c.published_at,
                f"What was wrong: {c.what_was_wrong} What changed: {c.what_changed}{rows}",
                versions_url(base_url, c.dataset.slug),
            )
        )
    return events


def atom_feed(
    session: Session, base_url: str, dataset: Dataset | None = None, limit: int = FEED_LIMIT
) -> bytes:
    """The feed document (site-wide, or one dataset's), UTF-8 encoded Atom 1.0 (RFC 4287)."""
    # Written with ElementTree rather than feedgen: feedgen 1.0.0 drops the rel, type and
    # length of entry links, which leaves several rel="alternate" links, invalid in Atom.
    events = feed_events(session, limit, dataset)
    if dataset is None:
        self_url, page, title = f"{base_url}/feed.atom", f"{base_url}/", FEED_TITLE
        subtitle = "Each new version of a dataset, and each retraction, as it happens."
    else:
        self_url = f"{dataset_url(base_url, dataset.slug)}feed.atom"
        page = dataset_url(base_url, dataset.slug)
        title = f"{dataset.title}: versions, retractions and corrections"
        subtitle = "Each new version of this dataset, each retraction and each correction."
    feed = ElementTree.Element("feed", {"xmlns": ATOM, "xml:lang": "en"})
    _text(feed, "id", self_url)
    _text(feed, "title", title)
    _text(feed, "subtitle", subtitle)
    _text(feed, "updated", stamp(events[0].at if events else utcnow()))
    if dataset is None:
        names = {publisher(event.version.dataset)[0] for event in events}
    else:
        names = {publisher(dataset)[0]}
    _author(feed, names.pop() if len(names) == 1 else DEFAULT_PUBLISHER, None)
    _link(feed, self_url, "self", "application/atom+xml")
    _link(feed, page, "alternate", "text/html")
    _text(feed, "generator", "Police transparency portal")
    entries = [(event.at, event) for event in events]
    entries += [(c.at, c) for c in correction_events(session, base_url, dataset, limit)]
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


def _correction(feed: ElementTree.Element, event: CorrectionEvent) -> None:
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
        gone = (
            f" Every version of {dataset.title} is now withdrawn."
            if dataset.current_version_id is None
            else ""
        )
        return (
            f"Version {version.number} of {dataset.title} was withdrawn on "
            f"{long_date(version.retracted_at)}: {version.retraction_reason or 'no reason given'}"
            f" Its files are no longer served (they answer 410 Gone).{gone}"
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
    figures = _figures(version)
    if figures:
        parts.append(f"Headline figures: {figures}.")
    if version.note:
        parts.append(f"Note: {version.note}")
    return " ".join(parts)


def _figures(version: Version) -> str:
    """The version's headline figures as computed when it was published (portal.figures)."""
    stored = version.figures or {}
    if stored.get("format") != FIGURES_FORMAT:
        return ""
    return "; ".join(
        f"{f['label']}: {f['top']['label'] if f.get('top') else f['display']} ({f['period']})"
        for f in stored.get("figures", [])
        if f.get("headline") and f.get("display") not in (None, "–")
    )
