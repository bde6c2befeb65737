"""Comments, their authors' names, moderators' answers and survey answers: the guard's rules.

Names, badge numbers and dates of birth come from every dataset's declared never-publish
and name columns (recorded by each run, as hashes); contacts and self-introductions from
the guard's own rules.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text

from portal.community import comments, surveys
from portal.community.text import scrub
from portal.datasets.definitions import get_dataset
from portal.privacy.models import PrivacyTerm
from tests.flow import run
from tests.privacy.corpus import dataset
from tests.privacy.test_corpus import TEXT, source

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def known(portal, tmp_path):
    """A dataset run once, so the guard knows its officers, subjects, badges and birth dates."""
    case = dataset(
        portal,
        tmp_path,
        fields=[TEXT],
        columns={"incident_id": "IncidentNo"},
        source=source(),
        never_publish=["Badge", "OfficerName", "SubjectName", "DOB", "Address"],
        privacy={"scrub": {"names_from": ["OfficerName", "SubjectName"]}},
    )
    result = run(case, "case")
    assert result.status.value == "succeeded", result.error
    return case


@SQLITE
def test_a_comment_and_its_author_name_lose_known_names_badges_and_birth_dates(known):
    with known.db.session() as session:
        comment = comments.submit_comment(
            session,
            get_dataset(session, "case"),
            "comment",
            "Officer BERRIOS (badge #10757) hurt Jane Mack's arm; she was born May 3, 1990 "
            "(05/03/1990). Mackenzie saw it. Write me: tom at example dot org.",
            name="Marlin Berrios",
        )
        body, author = comment.body, comment.author_name
    assert body == (
        "Officer [name] (badge #[withheld]) hurt [name] [name]'s arm; she was born [date] "
        "([date]). Mackenzie saw it. Write me: [e-mail]."
    )
    assert author == "[name] [name]"


@SQLITE
def test_a_moderators_public_answer_is_scrubbed_too(known):
    with known.db.session() as session:
        comment = comments.submit_comment(
            session, get_dataset(session, "case"), "question", "Who was involved?"
        )
        comments.answer_comment(
            session,
            comment,
            "officer@example.org",
            "Sgt. Lee Wu reviewed it; badge 04388. O'Neil's and O'Neil-Diaz's notes agree.",
        )
        answer = comment.answer
    assert answer == (
        "Sgt. [name] [name] reviewed it; badge [withheld]. [name]'s and [name]'s notes agree."
    )


@SQLITE
def test_survey_free_text_is_scrubbed_with_the_same_rules(known):
    with known.db.session() as session:
        survey = surveys.create_survey(
            session,
            title="Trust survey",
            opens_on=date(2026, 1, 1),
            closes_on=date(2026, 12, 31),
            questions=surveys.DEFAULT_QUESTIONS,
            created_by="admin@example.org",
        )
        questions = survey.questions
        response = surveys.submit_response(
            session,
            survey,
            answers={q.id: 5 for q in questions},
            district="D1",
            free_text="I am Rosa Park and officer O'Neil-Diaz was rude. 414 555 0100.",
            client="203.0.113.9",
            browser="browser-1",
            secret="s3cret",
            today=date(2026, 6, 1),
        )
        free_text = response.free_text
    assert free_text == "[name] and officer [name] was rude. [phone]."


@SQLITE
def test_only_hashes_of_the_terms_are_stored(known):
    with known.db.engine.connect() as connection:
        stored = " ".join(
            str(v) for row in connection.execute(text("SELECT * FROM privacy_terms")) for v in row
        )
    for value in ("berrios", "10757", "1990-05-03", "Mack"):
        assert value not in stored.lower()
    with known.db.session() as session:
        kinds = set(session.scalars(select(PrivacyTerm.kind)))
    assert kinds == {"name", "number", "date"}


@pytest.mark.parametrize(
    ("written", "scrubbed"),
    [
        ("My name is Jo Okafor.", "[name]."),
        ("I'm Dana Whitfield from the west side.", "[name] from the west side."),
        ("I am Dana and I was scared.", "[name] and I was scared."),
        ("I am worried about response times.", "I am worried about response times."),
        ("jane at example dot org", "[e-mail]"),
        ("jane [at] example [dot] org", "[e-mail]"),
        ("jane(at)example(dot)com", "[e-mail]"),
        ("jane@example.org", "[e-mail]"),
        ("We met at the park and dot the map.", "We met at the park and dot the map."),
    ],
)
def test_self_introductions_and_obfuscated_e_mails(written, scrubbed):
    assert scrub(written) == scrubbed
