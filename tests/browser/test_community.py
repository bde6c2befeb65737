"""A resident comments on a dataset and answers a survey in real Chromium; an officer answers."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.community import surveys
from portal.community.models import Comment, CommentStatus, SurveyResponse
from portal.models import utcnow
from tests.conftest import ADMIN, OFFICER


def test_a_resident_comments_and_an_officer_answers_in_the_browser(
    portal,
    published_trust,
    live_server,
    page,
    console_errors,
):
    page.goto(f"{live_server}/datasets/community-trust/")
    page.get_by_label("A question").check()
    page.get_by_label("Your comment").fill("Why is District 4 empty? <b>see</b> https://x.example")
    page.get_by_label("Name to show (optional)").fill("Ana")
    page.get_by_role("button", name="Send for moderation").click()
    page.get_by_text("once a moderator has read it").wait_for()

    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(OFFICER[0])
    page.get_by_label("Password").fill(OFFICER[1])
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server}/office/moderation/")
    page.get_by_text("Why is District 4 empty?").wait_for()
    page.get_by_label("Answer publicly").fill("Fewer than 10 residents answered there.")
    page.get_by_role("button", name="Publish with this answer").click()
    page.get_by_text("the answer is public").wait_for()

    page.goto(f"{live_server}/datasets/community-trust/#comments")
    comment = page.locator("article.comment")
    assert comment.locator("h3").inner_text().startswith("Question from Ana")
    assert "Why is District 4 empty? <b>see</b> https://x.example" in comment.inner_text()
    body = comment.locator(".comment-body")
    assert body.locator("a").count() == 0 and body.locator("b").count() == 0
    assert "Fewer than 10 residents answered there." in comment.locator(".answer").inner_text()
    with portal.db.session() as session:
        (stored,) = session.scalars(select(Comment)).all()
        assert stored.status == CommentStatus.PUBLISHED and stored.answered_by == OFFICER[0]
    assert console_errors == []


def test_a_resident_answers_a_survey_in_the_browser(portal, live_server, page, console_errors):
    today = utcnow().date()
    with portal.db.session() as session:
        survey_id = surveys.create_survey(
            session,
            title="Spring survey",
            opens_on=today - timedelta(days=1),
            closes_on=today + timedelta(days=10),
            questions=surveys.DEFAULT_QUESTIONS,
            created_by=ADMIN[0],
        ).id

    page.goto(f"{live_server}/trust/")
    page.get_by_role("link", name="Spring survey").click()
    for number, score in zip(range(1, 5), ["8", "9", "4", "7"], strict=True):
        question = page.locator("fieldset.question").nth(number - 1)
        question.get_by_label(score, exact=True).check()
    page.get_by_label("Which police district").select_option("D3")
    page.get_by_label("Anything else").fill("More foot patrols please. My name is Lee Park.")
    page.get_by_role("button", name="Send my answers").click()
    page.get_by_role("heading", name="Thank you").wait_for()

    page.goto(f"{live_server}/surveys/{survey_id}/")
    page.locator("fieldset.question").first.get_by_label("5", exact=True).check()
    page.get_by_label("Which police district").select_option("D3")
    page.get_by_role("button", name="Send my answers").click()
    page.get_by_role("heading", name="Already answered").wait_for()
    # The page answered 409 on purpose; that is not a script error.
    console_errors[:] = [e for e in console_errors if "409" not in e]

    with portal.db.session() as session:
        (response,) = session.scalars(select(SurveyResponse)).all()
        assert sorted(a.score for a in response.answers) == [4, 7, 8, 9]
        assert response.district == "D3"
        assert response.free_text == "More foot patrols please. [name]."
    assert console_errors == []
