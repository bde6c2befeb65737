"""A resident comments on a dataset and answers a survey in real Chromium; an officer answers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.community import surveys
from portal.community.models import Comment, CommentStatus, SurveyResponse
from portal.models import utcnow
from tests.conftest import ADMIN, OFFICER

WIDTHS = [390, 1366]  # a phone and a desktop


def _in_view(page, locator) -> bool:  # noqa: ANN001
    box, height = locator.bounding_box(), page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + min(box["height"], 60) <= height


def send_and_load(page) -> None:  # noqa: ANN001
    """Send the comment form and wait for the answer page's load event: the browser scrolls
    to its `#write-comment` anchor only then, so a box read earlier can be out of view."""
    with page.expect_navigation():
        page.get_by_role("button", name="Send for moderation").click()
    page.wait_for_load_state("load")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_resident_comments_and_an_officer_answers_in_the_browser(
    portal,
    published_trust,
    live_server,
    page,
    console_errors,
    width,
):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{live_server}/datasets/community-trust/")
    page.get_by_label("A question").check()
    page.get_by_label("Name to show (optional)").fill("Ana")
    # Sent empty: the page comes back at the form, the problem named and linked, the name kept.
    send_and_load(page)
    summary = page.locator(".error-summary")
    summary.wait_for()
    assert _in_view(page, summary)
    summary.get_by_role("link", name="Write something in “Your comment”").click()
    assert page.evaluate("document.activeElement.id") == "comment-body"
    assert page.get_by_label("Name to show (optional)").input_value() == "Ana"
    assert page.get_by_label("A question").is_checked()
    console_errors[:] = [e for e in console_errors if "400" not in e]  # refused on purpose

    page.get_by_label("Your comment").fill("Why is District 4 empty? <b>see</b> https://x.example")
    send_and_load(page)
    confirmation = page.locator(".confirmation")
    confirmation.wait_for()
    # The thank-you is where the resident is looking, beside the form, not 8,000 px above.
    assert "once a moderator has read it" in confirmation.inner_text()
    assert _in_view(page, confirmation)
    assert page.get_by_label("Your comment").input_value() == ""

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


@pytest.mark.parametrize("width", WIDTHS)
def test_a_resident_answers_a_survey_in_the_browser(
    portal, live_server, page, console_errors, width
):
    page.set_viewport_size({"width": width, "height": 800})
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
    with page.expect_navigation():
        page.get_by_role("link", name="Spring survey").click()
    # Measured once the survey page and its stylesheet are loaded, not mid-navigation.
    page.wait_for_load_state("load")
    _each_number_sits_with_its_own_radio(page, phone=width < 700)
    # Sent without a district: the answers come back with the problem named, nothing lost.
    page.locator("fieldset.question").first.get_by_label("8", exact=True).check()
    page.get_by_role("button", name="Send my answers").click()
    page.locator(".error-summary").get_by_role("link", name="Choose your district").wait_for()
    assert page.locator("fieldset.question").first.get_by_label("8", exact=True).is_checked()
    console_errors[:] = [e for e in console_errors if "400" not in e]  # refused on purpose
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


def _each_number_sits_with_its_own_radio(page, phone: bool) -> None:  # noqa: ANN001
    """Beside it in one line on a phone (a vertical list), above it on a desktop; never split."""
    options = page.locator("fieldset.question").first.locator("ol.scale label")
    assert options.count() == 11
    boxes = []
    for i in range(11):
        number = options.nth(i).locator(".score").bounding_box()
        radio = options.nth(i).locator("input").bounding_box()
        label = options.nth(i).bounding_box()
        assert options.nth(i).locator(".score").inner_text() == str(i)
        # The number and its radio are inside their own option's box.
        for part in (number, radio):
            assert (
                label["x"] <= part["x"] and part["x"] + part["width"] <= label["x"] + label["width"]
            )
            assert (
                label["y"] <= part["y"]
                and part["y"] + part["height"] <= label["y"] + label["height"]
            )
        if phone:
            assert (
                abs((number["y"] + number["height"] / 2) - (radio["y"] + radio["height"] / 2)) < 6
            )
            assert radio["x"] < number["x"]
        else:
            assert number["y"] + number["height"] <= radio["y"] + 1
        boxes.append(label)
    if phone:  # one option per line, in order down the screen
        assert all(
            a["y"] + a["height"] <= b["y"] + 1 for a, b in zip(boxes, boxes[1:], strict=False)
        )
    else:  # one row, in order across
        assert len({round(b["y"]) for b in boxes}) == 1
        assert all(
            a["x"] + a["width"] <= b["x"] + 1 for a, b in zip(boxes, boxes[1:], strict=False)
        )
