"""Comments on a dataset: submitted without an account, moderated, published with answers."""

from __future__ import annotations

import re

from sqlalchemy import select, text

from portal.community.models import Comment, CommentStatus
from portal.models import AuditEvent
from tests.conftest import OFFICER, csrf_token, login

PAGE = "/datasets/community-trust/"
POST = "/datasets/community-trust/comments"
JSON = "/api/v1/datasets/community-trust/comments"


def _comment(client, body: str, kind: str = "question", **extra: str):  # noqa: ANN202
    data = {"csrf_token": csrf_token(client, PAGE), "kind": kind, "body": body, **extra}
    return client.post(POST, data=data)


def _moderate(client, comment_id: int, action: str, **data: str):  # noqa: ANN202
    token = csrf_token(client, "/office/moderation/")
    return client.post(
        f"/office/moderation/{comment_id}/{action}", data={"csrf_token": token, **data}
    )


def _only_comment(portal) -> Comment:
    with portal.db.session() as session:
        (comment,) = session.scalars(select(Comment)).all()
        session.expunge(comment)
        return comment


def test_a_question_waits_for_moderation_then_shows_with_its_public_answer(
    portal, published_trust, app
):
    resident, moderator = app.test_client(), app.test_client()

    sent = _comment(resident, "How is the district decided?", name="Sam")
    assert sent.status_code == 303
    assert "once a moderator has read it" in resident.get(PAGE).get_data(as_text=True)
    assert "How is the district decided?" not in resident.get(PAGE).get_data(as_text=True)
    assert resident.get(JSON).json["comments"] == []

    login(moderator)
    queue = moderator.get("/office/moderation/").get_data(as_text=True)
    assert "How is the district decided?" in queue and "from Sam" in queue
    comment = _only_comment(portal)
    answered = _moderate(moderator, comment.id, "answer", answer="Residents choose it.")
    assert answered.status_code == 302

    page = resident.get(PAGE).get_data(as_text=True)
    assert "Question from Sam" in page
    assert "How is the district decided?" in page
    assert "Answer from the records office" in page and "Residents choose it." in page
    (published,) = resident.get(JSON).json["comments"]
    assert published["kind"] == "question" and published["name"] == "Sam"
    assert published["body"] == "How is the district decided?"
    assert published["answer"]["body"] == "Residents choose it."
    assert published["fixed_in_version"] is None


def test_a_rejected_comment_stays_private_and_the_reason_is_in_the_audit_log(
    portal, published_trust, app
):
    resident, moderator = app.test_client(), app.test_client()
    _comment(resident, "Buy cheap watches", kind="comment")
    login(moderator)
    comment = _only_comment(portal)

    assert _moderate(moderator, comment.id, "reject").status_code == 302  # no reason: refused
    assert _only_comment(portal).status == CommentStatus.PENDING
    _moderate(moderator, comment.id, "reject", reason="Advertising")

    assert _only_comment(portal).status == CommentStatus.REJECTED
    assert "Buy cheap watches" not in resident.get(PAGE).get_data(as_text=True)
    assert resident.get(JSON).json["comments"] == []
    with portal.db.session() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "comment.reject"))
        assert event.details["reason"] == "Advertising"
        assert event.object_id == str(comment.id)


def test_a_data_problem_report_is_shown_as_fixed_in_the_version_a_moderator_picks(
    portal, published_trust, app
):
    resident, moderator = app.test_client(), app.test_client()
    _comment(resident, "District D9 appears in the data.", kind="problem")
    login(moderator)
    comment = _only_comment(portal)
    _moderate(moderator, comment.id, "publish")

    assert _moderate(moderator, comment.id, "fixed", version="7").status_code == 302
    assert _only_comment(portal).fixed_in_version_id is None  # no such version
    _moderate(moderator, comment.id, "fixed", version="1")

    page = resident.get(PAGE).get_data(as_text=True)
    assert "Problem in the data from a resident" in page
    assert "Fixed in version 1" in page
    assert resident.get(JSON).json["comments"][0]["fixed_in_version"] == 1


def test_markup_and_links_in_a_comment_are_shown_as_plain_text(portal, published_trust, app):
    resident, moderator = app.test_client(), app.test_client()
    body = '<script>alert("x")</script> see https://evil.example/page <a href="https://evil.example">x</a>'
    _comment(resident, body, kind="comment", name="<b>Mallory</b>")
    login(moderator)
    _moderate(moderator, _only_comment(portal).id, "publish")

    page = resident.get(PAGE).get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "&lt;b&gt;Mallory&lt;/b&gt;" in page
    assert "<script>alert" not in page and "<b>Mallory" not in page
    assert 'href="https://evil.example' not in page
    assert "see https://evil.example/page" in page  # shown, not linked


def test_posting_is_rate_limited_per_client(published_trust, client):
    statuses = [_comment(client, f"Comment number {i}").status_code for i in range(6)]

    assert statuses == [303] * 5 + [429]


def test_bots_empty_comments_overlong_comments_and_forged_forms_are_refused(
    portal, published_trust, client
):
    assert _comment(client, "Great data", website="http://spam.example").status_code == 400
    assert _comment(client, "   \n ").status_code == 400
    assert _comment(client, "x" * 2001).status_code == 400
    assert _comment(client, "ok", name="n" * 81).status_code == 400
    assert _comment(client, "Which kind?", kind="rant").status_code == 400
    forged = client.post(POST, data={"kind": "comment", "body": "no token"})
    assert forged.status_code == 400
    with portal.db.session() as session:
        assert session.scalars(select(Comment)).all() == []
    assert client.post("/datasets/no-such-dataset/comments").status_code in (400, 404)


def test_no_address_or_contact_detail_is_stored_with_a_comment(portal, published_trust, client):
    _comment(
        client,
        "Call me on 312-555-0199 or write to jo@mail.example. My name is Jo Okafor.",
        name="Jo jo@mail.example 312 555 0199",
    )

    comment = _only_comment(portal)
    assert comment.body == "Call me on [phone] or write to [e-mail]. [name]."
    assert comment.author_name == "Jo [e-mail] [phone]"
    with portal.db.engine.connect() as connection:
        row = connection.execute(text("SELECT * FROM comments")).one()
    assert not [v for v in row if isinstance(v, str) and re.search(r"127\.0\.0\.1|@|555", v)]


def test_the_moderation_queue_needs_a_records_officer(published_trust, client):
    assert client.get("/office/moderation/").status_code == 302
    assert client.post("/office/moderation/1/publish").status_code in (302, 400)


def test_a_sent_comment_is_confirmed_beside_the_form_with_its_number(
    portal, published_trust, client
):
    sent = _comment(client, "Why are there two districts named 4?")

    assert sent.status_code == 303
    assert sent.headers["Location"].endswith("/datasets/community-trust/#write-comment")
    page = client.get(PAGE).get_data(as_text=True)
    number = _only_comment(portal).id
    form_area = page[
        page.index('id="write-comment"') : page.index("</form>", page.index('id="write-comment"'))
    ]
    assert f"Your comment is number {number}" in form_area
    assert 'class="confirmation" role="status"' in form_area
    top = page[: page.index('id="comments"')]
    assert "Your comment is number" not in top  # not at the page's top, 8,000 px away
    assert "Your comment is number" not in client.get(PAGE).get_data(as_text=True)  # shown once


def test_a_refused_comment_comes_back_in_the_page_with_the_problems_and_the_text_kept(
    portal, published_trust, client
):
    token = csrf_token(client, PAGE)
    refused = client.post(
        POST,
        data={
            "csrf_token": token,
            "kind": "question",
            "body": "x" * 2001,
            "name": "Ana <b>Lee</b>",
        },
    )

    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert '<h2 id="downloads">Downloads</h2>' in page  # the dataset page itself, not a 400 page
    assert "There is a problem" in page
    assert '<a href="#comment-body">“Your comment” is 2,001 characters long' in page
    assert 'id="comment-body-error"' in page
    assert ">" + "x" * 2001 + "</textarea>" in page  # the text is kept as sent
    assert 'value="Ana &lt;b&gt;Lee&lt;/b&gt;"' in page
    assert 'value="question" checked' in page
    assert re.search(r'action="[^"]*/comments#write-comment"', page)
    with portal.db.session() as session:
        assert session.scalars(select(Comment)).all() == []

    empty = client.post(POST, data={"csrf_token": token, "kind": "rant", "body": " "})
    page = empty.get_data(as_text=True)
    assert empty.status_code == 400
    assert '<a href="#comment-kind-comment">Choose a comment, a question' in page
    assert '<a href="#comment-body">Write something in “Your comment”' in page
    # The form's own address, opened again, leads back to the form.
    again = client.get(POST)
    assert again.status_code == 303 and again.headers["Location"].endswith("/#write-comment")


def test_a_moderator_unpublishes_a_published_comment_with_an_audited_reason(
    portal, published_trust, app
):
    resident, moderator = app.test_client(), app.test_client()
    _comment(resident, "A comment that names a neighbour by accident")
    login(moderator)
    comment = _only_comment(portal)
    _moderate(moderator, comment.id, "publish")
    page = resident.get(PAGE).get_data(as_text=True)
    assert "names a neighbour" in page
    assert f'<a href="#comment-{comment.id}">Comment {comment.id}</a>' in page
    queue = moderator.get("/office/moderation/").get_data(as_text=True)
    assert f"Reason for unpublishing comment {comment.id}" in queue

    without_reason = _moderate(moderator, comment.id, "unpublish")
    assert without_reason.status_code == 302
    assert _only_comment(portal).status == CommentStatus.PUBLISHED
    done = _moderate(moderator, comment.id, "unpublish", reason="Names a private person")
    assert done.status_code == 302
    assert "Unpublished comment" in moderator.get("/office/moderation/").get_data(as_text=True)

    assert _only_comment(portal).status == CommentStatus.UNPUBLISHED
    assert "names a neighbour" not in resident.get(PAGE).get_data(as_text=True)
    assert resident.get(JSON).json["comments"] == []
    with portal.db.session() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "comment.unpublish")
        ).one()
        assert event.actor == OFFICER[0]
        assert event.details["reason"] == "Names a private person"
    # Unpublishing twice, or answering an unpublished comment, is refused and changes nothing.
    _moderate(moderator, comment.id, "unpublish", reason="again")
    _moderate(moderator, comment.id, "answer", answer="Sorry")
    assert _only_comment(portal).status == CommentStatus.UNPUBLISHED
    assert _only_comment(portal).answer is None


def test_a_published_answer_is_rendered_from_markdown_and_sanitised(portal, published_trust, app):
    resident, moderator = app.test_client(), app.test_client()
    _comment(resident, "What does the district column mean?")
    login(moderator)
    comment = _only_comment(portal)
    answer = "See the `district` field in the **data dictionary**. <script>alert(1)</script>"
    _moderate(moderator, comment.id, "answer", answer=answer)

    page = resident.get(PAGE).get_data(as_text=True)
    assert "See the <code>district</code> field in the <strong>data dictionary</strong>." in page
    assert "`district`" not in page and "<script>alert(1)" not in page
