"""Community surveys: admins publish them, residents answer without an account.

Duplicates are limited without keeping personal data, and without refusing households,
libraries or phones that share one network address:

- per browser: the survey page gives each browser a random token (a cookie); a second answer
  to the same survey with the same token is refused, until the survey closes;
- per address: at most ADDRESS_DAILY_LIMIT answers to one survey from one network address a
  day, a generous cap against scripted stuffing.

Both are recognised by keyed hashes (HMAC-SHA-256 with the portal's secret key), never stored
with the response; neither the token nor the address is stored. A browser's key is deleted
once its survey has closed, an address's once its day is over.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import audit, languages
from portal.community.errors import (
    DuplicateSubmission,
    FeedbackRejected,
    SurveyClosed,
    UnknownSurvey,
)
from portal.community.models import (
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    SurveySubmissionKey,
)
from portal.community.text import resident_text
from portal.languages import N_, gettext

MEASURES = {
    "trust": N_("Trust"),
    "fairness": N_("Fairness"),
    "safety": N_("Safety"),
    "satisfaction": N_("Satisfaction"),
}
# Agreement items in the style of the Elucd/Zencity neighborhood sentiment surveys.
DEFAULT_QUESTIONS = (
    (
        "trust",
        "The police in my neighborhood listen to and take into account the concerns "
        "of local residents.",
    ),
    ("fairness", "The police in my neighborhood treat local residents with respect."),
    ("safety", "I feel safe in my neighborhood."),
    ("satisfaction", "I am satisfied with the police in my neighborhood."),
)
# The same statements in the other languages, by measure (formal "usted" in Spanish).
DEFAULT_TRANSLATIONS = {
    "es": {
        "trust": "La policía de mi vecindario escucha y tiene en cuenta las inquietudes de los "
        "residentes.",
        "fairness": "La policía de mi vecindario trata con respeto a los residentes.",
        "safety": "Me siento seguro o segura en mi vecindario.",
        "satisfaction": "Estoy satisfecho o satisfecha con la policía de mi vecindario.",
    }
}
DISTRICTS = {
    "D1": N_("District 1"),
    "D2": N_("District 2"),
    "D3": N_("District 3"),
    "D4": N_("District 4"),
    "D5": N_("District 5"),
    "D6": N_("District 6"),
    "unknown": N_("I don't know / I'd rather not say"),
}
MAX_QUESTIONS = 8
MAX_QUESTION_LENGTH = 300
MAX_FREE_TEXT = 1000
# Answers to one survey from one network address in one day (a library, a school, a carrier's
# shared mobile address); each browser still answers once.
ADDRESS_DAILY_LIMIT = 50
ALREADY_ANSWERED = N_("This survey was already answered from this browser.")


def survey_text(survey: Survey, key: str) -> tuple[str, str]:
    """A survey's `title` or `introduction` in the reader's language, and the language it is
    in (English when no translation was given: the page marks it)."""
    return _in_language(getattr(survey, key) or "", survey.translations, key)


def question_text(question: SurveyQuestion) -> tuple[str, str]:
    """A statement in the reader's language, and the language it is in."""
    return _in_language(question.text, question.translations, "text")


def _in_language(english: str, translations: Mapping | None, key: str) -> tuple[str, str]:
    code = languages.current()
    found = ((translations or {}).get(code) or {}).get(key)
    if code != languages.DEFAULT and found:
        return str(found), code
    return english, languages.DEFAULT


# The longest text each translated part may have (as its English).
TRANSLATED_LIMITS = {"title": 200, "introduction": 2000, "text": MAX_QUESTION_LENGTH}


def _translations(given: Mapping[str, Mapping[str, str]] | None, keys: tuple[str, ...]) -> dict:
    """Only languages the site speaks, only known keys, only text: what is stored."""
    kept: dict[str, dict[str, str]] = {}
    for code, texts in (given or {}).items():
        if code in languages.LANGUAGES and code != languages.DEFAULT and isinstance(texts, Mapping):
            words = {k: str(v).strip() for k, v in texts.items() if k in keys and str(v).strip()}
            for key, text in words.items():
                if len(text) > TRANSLATED_LIMITS[key]:
                    raise FeedbackRejected(
                        f"The {languages.LANGUAGES[code]} {key} has at most "
                        f"{TRANSLATED_LIMITS[key]} characters."
                    )
            if words:
                kept[code] = words
    return kept


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def create_survey(
    session: Session,
    *,
    title: str,
    opens_on: date,
    closes_on: date,
    questions: Sequence[tuple[str, str] | tuple[str, str, Mapping[str, str]]],
    created_by: str,
    introduction: str = "",
    translations: Mapping[str, Mapping[str, str]] | None = None,
) -> Survey:
    """A survey with its 0-10 agreement questions, open for answers between two dates.

    A question may carry its statement in other languages, `(measure, text, {"es": …})`;
    `translations` gives the title and introduction in them, `{"es": {"title": …}}`."""
    title_text = resident_text(title, field="Title", max_length=200, required=True, scrubbed=False)
    if closes_on < opens_on:
        raise FeedbackRejected("The survey must close on or after the day it opens.")
    asked = [
        (q[0], (q[1] or "").strip(), q[2] if len(q) > 2 else {})
        for q in questions
        if (q[1] or "").strip()
    ]
    if not asked:
        raise FeedbackRejected("Ask at least one question.")
    if len(asked) > MAX_QUESTIONS:
        raise FeedbackRejected(f"Ask at most {MAX_QUESTIONS} questions.")
    for measure, text, _other in asked:
        if measure not in MEASURES:
            raise FeedbackRejected(f"Each question measures one of {', '.join(MEASURES)}.")
        if len(text) > MAX_QUESTION_LENGTH:
            raise FeedbackRejected(f"A question has at most {MAX_QUESTION_LENGTH} characters.")
    survey = Survey(
        title=title_text,
        introduction=resident_text(
            introduction, field="Introduction", max_length=2000, scrubbed=False
        )
        or "",
        opens_on=opens_on,
        closes_on=closes_on,
        created_by=created_by,
        translations=_translations(translations, ("title", "introduction")) or None,
        questions=[
            SurveyQuestion(
                position=i,
                measure=m,
                text=t,
                translations=_translations(
                    {code: {"text": words} for code, words in (other or {}).items()}, ("text",)
                )
                or None,
            )
            for i, (m, t, other) in enumerate(asked)
        ],
    )
    session.add(survey)
    session.flush()
    audit.record(
        session,
        created_by,
        "survey.create",
        "survey",
        survey.id,
        title=survey.title,
        opens_on=opens_on.isoformat(),
        closes_on=closes_on.isoformat(),
    )
    return survey


def get_survey(session: Session, survey_id: int) -> Survey:
    survey = session.get(Survey, survey_id)
    if survey is None:
        raise UnknownSurvey(f"no survey {survey_id}")
    return survey


def all_surveys(session: Session) -> list[Survey]:
    return list(session.scalars(select(Survey).order_by(Survey.opens_on.desc(), Survey.id.desc())))


def open_surveys(session: Session, today: date) -> list[Survey]:
    return list(
        session.scalars(
            select(Survey)
            .where(Survey.opens_on <= today, Survey.closes_on >= today)
            .order_by(Survey.closes_on, Survey.id)
        )
    )


def response_counts(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(SurveyResponse.survey_id, func.count()).group_by(SurveyResponse.survey_id)
    )
    return {survey_id: count for survey_id, count in rows}


def recent_free_text(session: Session, survey: Survey, limit: int = 20) -> list[str]:
    """The latest scrubbed free-text answers, for admins only: never published."""
    return list(
        session.scalars(
            select(SurveyResponse.free_text)
            .where(SurveyResponse.survey_id == survey.id, SurveyResponse.free_text.is_not(None))
            .order_by(SurveyResponse.id.desc())
            .limit(limit)
        )
    )


def submission_digest(secret: str, survey_id: int, *parts: object) -> str:
    """The keyed hash that recognises a browser, or an address's n-th answer of a day."""
    message = "\x1f".join(str(p) for p in (survey_id, *parts)).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def submit_response(
    session: Session,
    survey: Survey,
    *,
    answers: Mapping[int, object],
    district: str | None,
    free_text: str | None,
    client: str,
    browser: str | None,
    secret: str,
    today: date,
    language: str = languages.DEFAULT,
) -> SurveyResponse:
    """Record one resident's answers, with the language they answered in; their browser token
    and address only enter keyed hashes.

    Every field is checked before anything is refused, so the form can show all problems.
    """
    if not survey.is_open(today):
        raise SurveyClosed(
            gettext(
                "“%(survey)s” is not open for answers today.",
                survey=survey_text(survey, "title")[0],
            )
        )
    problems: dict[str, str] = {}
    scores = text = None
    try:
        scores = _scores(survey, answers)
    except FeedbackRejected as error:
        problems["answers"] = str(error)
    if district not in DISTRICTS:
        problems["district"] = gettext("Choose your district, or “I don't know”.")
    try:
        text = resident_text(
            free_text, field=gettext("Anything else"), max_length=MAX_FREE_TEXT, session=session
        )
    except FeedbackRejected as error:
        problems["free_text"] = str(error)
    if problems:
        raise FeedbackRejected.collect(problems)
    # Keys that have done their job: keep nothing longer than needed.
    session.execute(delete(SurveySubmissionKey).where(SurveySubmissionKey.day < today))
    keys = [_address_key(session, survey, secret, client, today)]
    if browser:
        keys.append(
            SurveySubmissionKey(
                survey_id=survey.id,
                digest=submission_digest(secret, survey.id, "browser", browser),
                day=survey.closes_on,
            )
        )
        if session.get(SurveySubmissionKey, (survey.id, keys[-1].digest)) is not None:
            raise DuplicateSubmission(gettext(ALREADY_ANSWERED))
    try:
        with session.begin_nested():
            session.add_all(keys)
    except IntegrityError as error:  # two answers at the same moment (a double click, or two
        # people behind one address): nothing is kept, and sending again says which it was
        raise DuplicateSubmission(
            gettext(
                "Another answer from this browser or network address was being recorded at "
                "the same moment, so yours was not. Please send it again."
            )
        ) from error
    response = SurveyResponse(
        survey_id=survey.id,
        quarter=quarter_of(today),
        district=district,
        free_text=text,
        language=languages.supported(language) or languages.DEFAULT,
        answers=[SurveyAnswer(question_id=q, score=s) for q, s in scores.items()],
    )
    session.add(response)
    session.flush()
    return response


def _address_key(
    session: Session, survey: Survey, secret: str, client: str, today: date
) -> SurveySubmissionKey:
    """The first of the address's ADDRESS_DAILY_LIMIT places of the day still free."""
    places = [
        submission_digest(secret, survey.id, "address", client, today.isoformat(), n)
        for n in range(ADDRESS_DAILY_LIMIT)
    ]
    taken = set(
        session.scalars(
            select(SurveySubmissionKey.digest).where(
                SurveySubmissionKey.survey_id == survey.id,
                SurveySubmissionKey.digest.in_(places),
            )
        )
    )
    free = next((digest for digest in places if digest not in taken), None)
    if free is None:
        raise DuplicateSubmission(
            f"This survey has had {ADDRESS_DAILY_LIMIT} answers from your network address "
            "today, the most it takes from one address in a day. Please try again tomorrow."
        )
    return SurveySubmissionKey(survey_id=survey.id, digest=free, day=today)


def _scores(survey: Survey, answers: Mapping[int, object]) -> dict[int, int]:
    scores = {}
    for question in survey.questions:
        raw = answers.get(question.id)
        if raw is None or raw == "":
            continue  # every question may be skipped
        try:
            score = int(str(raw))
        except ValueError:
            raise FeedbackRejected(gettext("Answers are whole numbers from 0 to 10.")) from None
        if not 0 <= score <= 10:
            raise FeedbackRejected(gettext("Answers are whole numbers from 0 to 10."))
        scores[question.id] = score
    if not scores:
        raise FeedbackRejected(gettext("Answer at least one question."))
    return scores
