"""The policy library through its pages: the office uploads, reviews and decides; the public
reads, compares, downloads, follows; nothing a user sends ends in a 500."""

from __future__ import annotations

import hashlib
import io
import re

import feedparser
import pytest

from portal.demo import policies as policies_demo
from portal.users import get_user
from tests.conftest import OFFICER, csrf_token, login
from tests.policies.documents import docx, pdf

PDF_LINES = [
    "Use of force",
    "",
    "1. Purpose",
    "Officers may use only the force that is objectively reasonable.",
    "",
    "2. De-escalation",
    "Officers shall attempt to de-escalate before using force.",
]


@pytest.fixture
def library(portal, officer):
    """The demo's three policies, every version approved."""
    with portal.db.session() as session:
        user = get_user(session, OFFICER[0])
    list(policies_demo.load(portal, user))
    return portal


def _upload(client, data: dict, name: str, content: bytes):  # noqa: ANN202
    token = csrf_token(client, "/office/policies/")
    return client.post(
        "/office/policies/upload",
        data={"csrf_token": token, **data, "document": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def _decide(client, version_id: int, action: str, **form: str):  # noqa: ANN202
    token = csrf_token(client, f"/office/policies/candidates/{version_id}")
    return client.post(
        f"/office/policies/candidates/{version_id}/{action}", data={"csrf_token": token, **form}
    )


NEW_POLICY = {
    "policy": "new",
    "slug": "search-warrants",
    "number": "610",
    "title": "Search warrants",
}


def test_a_resident_reads_a_policy_its_versions_and_what_changed(client, library):
    listing = client.get("/policies/").get_data(as_text=True)
    assert "Use of force" in listing and "Vehicle pursuits" in listing

    page = client.get("/policies/use-of-force/").get_data(as_text=True)
    assert "Version 3 is in effect since 1 September 2026" in page
    assert "Governs the data in" not in page or "Use of force" in page

    answer = client.get("/policies/use-of-force/compare?from=2&to=3&view=inline")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "within <del>seven</del><ins>three</ins> days" in html
    assert "2. De-escalation" in html and "change-tag added" in html
    side = client.get("/policies/use-of-force/compare?from=1&to=2").get_data(as_text=True)
    assert "diff-columns" in side and "Duty to intervene" in side

    missing = client.get("/policies/use-of-force/compare?from=9&to=3")
    assert missing.status_code == 404
    assert "has no version 9 to compare; choose one of v1, v2, v3" in missing.get_data(as_text=True)
    for odd in ("9" * 5000, "-1", "v", "2.0", "%00"):
        assert client.get(f"/policies/use-of-force/compare?from={odd}").status_code == 404


def test_a_version_is_citable_with_its_files_and_checksums(client, library):
    page = client.get("/policies/use-of-force/v2/").get_data(as_text=True)
    text = client.get("/policies/use-of-force/v2/text.md")
    original = client.get("/policies/use-of-force/v2/original.md")
    assert text.status_code == original.status_code == 200
    assert hashlib.sha256(text.data).hexdigest() in page
    assert hashlib.sha256(original.data).hexdigest() in page
    assert text.headers["X-Content-SHA256"] == hashlib.sha256(text.data).hexdigest()
    assert original.data.startswith(b"---\neffective: 2026-02-01")  # the file as kept
    assert not text.data.startswith(b"---")  # the text, front matter gone
    assert "use-of-force-v2.md" in text.headers["Content-Disposition"]
    assert client.get("/policies/use-of-force/v2/../../../portal.db").status_code == 404
    assert client.get("/policies/use-of-force/v2/other.pdf").status_code == 404
    assert client.get("/policies/use-of-force/v99/").status_code == 404
    assert client.get("/policies/no-such-policy/").status_code == 404


def test_feeds_and_api_list_every_version(client, library):
    feed = feedparser.parse(client.get("/policies/feed.atom").data)
    assert not feed.bozo
    titles = [e.title for e in feed.entries]
    assert "Use of force: version 3 published" in titles
    one = feedparser.parse(client.get("/policies/vehicle-pursuits/feed.atom").data)
    assert [e.title for e in one.entries] == [
        "Vehicle pursuits: version 2 published",
        "Vehicle pursuits: version 1 published",
    ]

    listed = client.get("/api/v1/policies").get_json()
    assert listed["count"] == 3
    uof = client.get("/api/v1/policies/use-of-force").get_json()
    assert uof["in_effect"] == 3
    assert [d["slug"] for d in uof["datasets"]] == ["use-of-force"]
    version = client.get("/api/v1/policies/use-of-force/v3").get_json()
    assert "de-escalate" in version["text"]
    assert {f["name"] for f in version["files"]} == {"text.md", "original.md"}
    assert client.get("/api/v1/policies/use-of-force/v9").status_code == 404


def test_an_uploaded_pdf_is_reviewed_approved_and_verified(client, library, runner):
    login(client)
    answer = _upload(client, {**NEW_POLICY, "effective_on": "2026-09-01"}, "sw.pdf", pdf(PDF_LINES))
    assert answer.status_code == 302
    version_id = int(answer.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    review_page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "first version" in review_page and "De-escalation" in review_page

    refused = _decide(client, version_id, "approve", summary="  ")
    assert refused.status_code == 400
    assert "write a summary of changes" in refused.get_data(as_text=True)
    assert client.get("/policies/search-warrants/").status_code == 404  # still a candidate

    assert _decide(client, version_id, "approve", summary="First version").status_code == 302
    page = client.get("/policies/search-warrants/v1/").get_data(as_text=True)
    assert "Officers shall attempt to de-escalate before using force." in page
    assert client.get("/policies/search-warrants/v1/original.pdf").data.startswith(b"%PDF-")
    again = _decide(client, version_id, "approve", summary="Twice")
    assert again.status_code == 409

    ledger = client.get("/ledger.json").get_json()
    newest = ledger["entries"][0]["entry"]
    assert (newest["kind"], newest["dataset"], newest["version"]) == (
        "policy-publish",
        "policy:search-warrants",
        1,
    )
    from portal.cli import main

    result = runner.invoke(main, ["verify"])
    assert result.exit_code == 0, result.output
    assert "policies intact: 9 versions, 18 files match" in result.output


# SQLite only: a bad document is refused while it is read, before anything is written.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("locked.pdf", pdf(["Officers shall report."], password="pw"), "is an encrypted PDF"),
        ("broken.pdf", b"%PDF-1.7\n1 0 obj <<", "is not a readable PDF"),
        ("blank.pdf", pdf([" "]), "has no text"),
        ("empty.md", b"", "is empty"),
        ("broken.docx", b"PK\x03\x04 nope", "is not a readable Word document"),
        ("virus.exe", b"MZ\x90", "not a Markdown (.md), Word (.docx) or PDF"),
    ],
    # Named by file: an encrypted PDF's bytes differ per process, and pytest-xdist needs
    # every worker to collect the same test ids.
    ids=["locked", "broken-pdf", "blank", "empty", "broken-docx", "virus"],
)
def test_a_bad_document_is_refused_with_its_reason_and_nothing_is_kept(
    client, library, name, content, message
):
    login(client)
    answer = _upload(client, {**NEW_POLICY, "effective_on": "2026-09-01"}, name, content)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "Nothing was kept" in html and message in html
    assert "Search warrants" not in client.get("/office/policies/").get_data(as_text=True)


def test_an_identical_text_a_missing_date_and_a_huge_upload_are_refused(client, library):
    login(client)
    same = (library.config.policies_dir / "use-of-force" / "2026-09-01.md").read_bytes()
    answer = _upload(client, {"policy": "use-of-force", "effective_on": "2026-12-01"}, "u.md", same)
    assert answer.status_code == 400
    assert "identical to version 3 of Use of force" in answer.get_data(as_text=True)
    undated = _upload(
        client, {"policy": "use-of-force", "effective_on": ""}, "u.md", b"# New\n\nx\n"
    )
    assert "give the date the version takes effect" in undated.get_data(as_text=True)
    huge = _upload(
        client, {"policy": "use-of-force", "effective_on": "2026-12-01"}, "h.md", b"a" * (21 << 20)
    )
    assert huge.status_code == 413
    assert "larger than this address accepts" in huge.get_data(as_text=True)


def test_a_word_document_is_rejected_with_a_note(client, library):
    login(client)
    word = docx([("Heading 1", "Purpose"), ("", "Officers shall knock and announce.")])
    answer = _upload(client, {**NEW_POLICY, "effective_on": "2026-09-01"}, "sw.docx", word)
    version_id = int(answer.headers["Location"].rsplit("/", 1)[-1])
    assert "knock and announce" in client.get(answer.headers["Location"]).get_data(as_text=True)
    assert _decide(client, version_id, "reject", note="").status_code == 400
    assert _decide(client, version_id, "reject", note="Draft, not adopted").status_code == 302
    assert client.get("/policies/search-warrants/").status_code == 404


# SQLite only: sign-in and CSRF are checked by the app before any query.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_office_routes_need_a_signed_in_reviewer_and_a_csrf_token(client, library):
    assert client.get("/office/policies/").status_code == 302
    assert client.post("/office/policies/upload").status_code in (302, 400)
    login(client)
    forged = client.post(
        "/office/policies/use-of-force/v1/retract", data={"reason": "x", "confirm": "yes"}
    )
    assert forged.status_code == 400
    assert client.get("/policies/use-of-force/v1/").status_code == 200


def test_retraction_leaves_a_public_notice(client, library):
    login(client)
    token = csrf_token(client, "/office/policies/")
    answer = client.post(
        "/office/policies/use-of-force/v1/retract",
        data={"csrf_token": token, "reason": "Published in error", "confirm": "yes"},
    )
    assert answer.status_code == 302
    page = client.get("/policies/use-of-force/v1/")
    assert page.status_code == 410
    assert "was withdrawn on" in page.get_data(as_text=True)
    assert "Published in error" in page.get_data(as_text=True)
    assert client.get("/policies/use-of-force/v1/text.md").status_code == 410
    assert client.get("/api/v1/policies/use-of-force/v1").status_code == 410
    feed = client.get("/policies/use-of-force/feed.atom").get_data(as_text=True)
    assert "version 1 retracted" in feed
    withdrawn = client.get("/policies/use-of-force/compare?from=1&to=2")
    assert withdrawn.status_code == 404  # a withdrawn text is not shown by a comparison either
    assert "choose one of v2, v3" in withdrawn.get_data(as_text=True)


# SQLite only: escaping and sanitising happen in the rendering, not in the engine.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_policy_text_is_escaped_in_the_diff_and_sanitised_on_the_page(client, library):
    login(client)
    hostile = (
        b"# Use of force\n\n## Purpose\n\n<script>alert(1)</script> [x](javascript:alert(2))\n"
    )
    answer = _upload(
        client, {"policy": "use-of-force", "effective_on": "2027-01-01"}, "x.md", hostile
    )
    review = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "<script>alert(1)" not in review and "&lt;script&gt;" in review
    version_id = int(answer.headers["Location"].rsplit("/", 1)[-1])
    _decide(client, version_id, "approve", summary="Test")
    page = client.get("/policies/use-of-force/v4/").get_data(as_text=True)
    assert "<script>alert(1)" not in page and 'href="javascript' not in page
    assert re.search(
        r"takes effect on 1 January 2027",
        client.get("/policies/use-of-force/").get_data(as_text=True),
    )


def test_a_residents_comment_on_a_policy_goes_through_moderation(client, library):
    token = csrf_token(client, "/policies/use-of-force/")
    sent = client.post(
        "/policies/use-of-force/comments",
        data={
            "csrf_token": token,
            "kind": "question",
            "body": "Does v3 apply to off-duty officers?",
        },
    )
    assert sent.status_code == 303
    assert "once a moderator has read it" in client.get(sent.headers["Location"]).get_data(
        as_text=True
    )
    assert "off-duty" not in client.get("/policies/use-of-force/").get_data(as_text=True)
    refused = client.post(
        "/policies/use-of-force/comments",
        data={"csrf_token": token, "kind": "problem", "body": "x"},
    )
    assert refused.status_code == 400
    assert "Choose a comment or a question." in refused.get_data(as_text=True)

    login(client)
    queue = client.get("/office/moderation/").get_data(as_text=True)
    assert 'the <a href="/policies/use-of-force/">Use of force</a> policy' in queue
    comment_id = re.search(r'id="pending-(\d+)"', queue).group(1)
    token = csrf_token(client, "/office/moderation/")
    answered = client.post(
        f"/office/moderation/{comment_id}/answer",
        data={"csrf_token": token, "answer": "Yes, whenever they act as officers."},
    )
    assert answered.status_code == 302
    page = client.get("/policies/use-of-force/").get_data(as_text=True)
    assert "Does v3 apply to off-duty officers?" in page
    assert "whenever they act as officers" in page


def test_an_approval_can_be_scheduled_and_cancelled(client, library):
    login(client)
    answer = _upload(client, {**NEW_POLICY, "effective_on": "2030-01-01"}, "sw.md", b"# SW\n\nx\n")
    version_id = int(answer.headers["Location"].rsplit("/", 1)[-1])
    later = {"summary": "New policy", "when": "later", "publish_at": "2030-01-01 09:00"}
    bad = _decide(client, version_id, "approve", **later, timezone="Mars/Olympus")
    assert bad.status_code == 400
    assert "unknown time zone" in bad.get_data(as_text=True)

    assert (
        _decide(client, version_id, "approve", **later, timezone="America/Chicago").status_code
        == 302
    )
    page = client.get(f"/office/policies/candidates/{version_id}").get_data(as_text=True)
    assert "to be published on 2030-01-01 15:00 UTC" in page
    assert client.get("/policies/search-warrants/").status_code == 404  # not yet public

    assert _decide(client, version_id, "unschedule").status_code == 302
    page = client.get(f"/office/policies/candidates/{version_id}").get_data(as_text=True)
    assert "Approve" in page and "to be published on" not in page
