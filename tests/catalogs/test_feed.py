"""/feed.atom: every published and retracted version, newest first, as valid Atom 1.0."""

from __future__ import annotations

from datetime import datetime
from xml.etree import ElementTree

import feedparser

from portal.releases import corrections, retractions
from portal.users import get_user

ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "http://127.0.0.1:8000"


def test_the_feed_lists_publications_and_retractions_newest_first(
    portal, client, two_versions, officer
):
    with portal.db.session() as session:
        retractions.retract(
            session, "use-of-force", 2, get_user(session, officer), "Duplicate rows in October"
        )

    response = client.get("/feed.atom")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = _check_atom(response.data)
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == [
        "Use of force: version 2 retracted",
        "Use of force: version 2 published",
        "Use of force: version 1 published",
    ]
    retraction, second, first = entries
    assert "Duplicate rows in October" in retraction.findtext(f"{ATOM}summary")
    summary = second.findtext(f"{ATOM}summary")
    rows = two_versions[1].file("incidents.csv").row_count
    assert f"{rows:,} rows in incidents.csv" in summary
    assert "incidents.parquet" in summary and "datapackage.json" in summary
    assert first.findtext(f"{ATOM}id") == f"{BASE}/datasets/use-of-force/v1/datapackage.json"
    links = {(link.get("rel"), link.get("href")) for link in first.findall(f"{ATOM}link")}
    assert ("alternate", f"{BASE}/datasets/use-of-force/") in links
    assert ("related", f"{BASE}/datasets/use-of-force/versions/") in links
    assert ("enclosure", f"{BASE}/datasets/use-of-force/v1/use-of-force.zip") in links
    author = first.find(f"{ATOM}author")
    assert author.findtext(f"{ATOM}name") == "Example City Police Department"

    parsed = feedparser.parse(response.data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert len(parsed.entries) == 3


def test_an_empty_portal_serves_a_valid_empty_feed(client):
    feed = _check_atom(client.get("/feed.atom").data)

    assert feed.findall(f"{ATOM}entry") == []
    assert feedparser.parse(client.get("/feed.atom").data).bozo == 0


def test_a_dataset_feed_is_the_same_atom_for_one_dataset_with_its_corrections(
    portal, client, two_versions, officer
):
    with portal.db.session() as session:
        user = get_user(session, officer)
        retractions.retract(session, "use-of-force", 2, user, "Duplicate rows in October")
    with portal.db.session() as session:  # published at once: the newest entry
        corrections.record(
            session, portal.config, "use-of-force", 1, officer, "October counted twice.", "Halved."
        )

    response = client.get("/datasets/use-of-force/feed.atom")

    feed = _check_atom(response.data, f"{BASE}/datasets/use-of-force/feed.atom")
    titles = [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")]
    assert titles == [
        "Use of force: correction to version 1",
        "Use of force: version 2 retracted",
        "Use of force: version 2 published",
        "Use of force: version 1 published",
    ]
    assert feedparser.parse(response.data).bozo == 0
    assert client.get("/datasets/no-such-dataset/feed.atom").status_code == 404


def _check_atom(document: bytes, self_url: str = f"{BASE}/feed.atom") -> ElementTree.Element:
    """The elements RFC 4287 requires (section 4.1), checked one by one; returns the feed."""
    feed = ElementTree.fromstring(document)  # noqa: S314 — the portal's own output
    assert feed.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert len(feed.findall(f"{ATOM}{name}")) == 1, f"feed needs exactly one atom:{name}"
    _timestamp(feed.findtext(f"{ATOM}updated"))
    _iri(feed.findtext(f"{ATOM}id"))
    selves = [link for link in feed.findall(f"{ATOM}link") if link.get("rel") == "self"]
    assert [link.get("href") for link in selves] == [self_url]
    entries = feed.findall(f"{ATOM}entry")
    feed_author = feed.find(f"{ATOM}author")
    if feed_author is not None:
        assert feed_author.findtext(f"{ATOM}name")
    ids = []
    updated = []
    for entry in entries:
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1, f"entry needs one atom:{name}"
        ids.append(_iri(entry.findtext(f"{ATOM}id")))
        updated.append(_timestamp(entry.findtext(f"{ATOM}updated")))
        # 4.1.1: an entry needs an author unless the feed has one.
        assert entry.find(f"{ATOM}author") is not None or feed_author is not None
        # 4.1.2: without atom:content, an entry needs an alternate link; at most one per type.
        alternates = [
            (link.get("type"), link.get("hreflang"))
            for link in entry.findall(f"{ATOM}link")
            if link.get("rel", "alternate") == "alternate"
        ]
        assert entry.find(f"{ATOM}content") is not None or alternates
        assert len(alternates) == len(set(alternates))
        for link in entry.findall(f"{ATOM}link"):
            _iri(link.get("href"))
    assert len(ids) == len(set(ids)), "entry ids must be unique"
    assert updated == sorted(updated, reverse=True), "newest first"
    return feed


def _timestamp(text: str) -> datetime:
    # RFC 3339 date-time with a zone (4.2.6 / 3.3).
    stamp = datetime.fromisoformat(text)
    assert "T" in text and stamp.tzinfo is not None, text
    return stamp


def _iri(text: str) -> str:
    assert text and text.startswith(("http://", "https://", "tag:", "urn:")), text
    assert " " not in text, text
    return text
