"""Tables of the community loop: comments on datasets, surveys, their answers, duplicate keys.

No table holds an IP address, an e-mail address or any other way to reach a resident:
comments keep only the name a resident chose to show, and survey responses only their
quarter, district, scores and scrubbed free text.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base
from portal.models import Dataset, UTCDateTime, Version, string_enum, utcnow


class CommentKind(enum.StrEnum):
    COMMENT = "comment"
    QUESTION = "question"
    PROBLEM = "problem"  # a report of a problem in the data, may be linked to its fix


class CommentStatus(enum.StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    REJECTED = "rejected"
    UNPUBLISHED = "unpublished"  # was public, taken down by a moderator (reason in the audit log)


class Comment(Base):
    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_dataset_status", "dataset_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # A comment is on a dataset, or on a policy of the library (portal.policies).
    dataset_id: Mapped[int | None] = mapped_column(ForeignKey("datasets.id"))
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("policies.id"))
    kind: Mapped[CommentKind] = mapped_column(string_enum(CommentKind))
    status: Mapped[CommentStatus] = mapped_column(
        string_enum(CommentStatus), default=CommentStatus.PENDING
    )
    author_name: Mapped[str | None] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moderated_by: Mapped[str | None] = mapped_column(String(254))
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by: Mapped[str | None] = mapped_column(String(254))
    fixed_in_version_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id"))

    dataset: Mapped[Dataset | None] = relationship()
    fixed_in_version: Mapped[Version | None] = relationship()


class Survey(Base):
    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    introduction: Mapped[str] = mapped_column(Text, default="")
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # other languages' title and introduction: {"es": {"title": …, "introduction": …}}
    translations: Mapped[dict | None] = mapped_column(JSON)

    questions: Mapped[list[SurveyQuestion]] = relationship(
        back_populates="survey", order_by="SurveyQuestion.position", cascade="all, delete-orphan"
    )

    def is_open(self, today: date) -> bool:
        return self.opens_on <= today <= self.closes_on


class SurveyQuestion(Base):
    __tablename__ = "survey_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # trust, fairness, safety or satisfaction: what the published aggregates group it under.
    measure: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(String(300))
    translations: Mapped[dict | None] = mapped_column(JSON)  # {"es": {"text": …}}

    survey: Mapped[Survey] = relationship(back_populates="questions")


class SurveyResponse(Base):
    """One resident's answers. Only the quarter is kept, not the day or time of answering."""

    __tablename__ = "survey_responses"
    __table_args__ = (Index("ix_survey_responses_quarter_district", "quarter", "district"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"))
    quarter: Mapped[str] = mapped_column(String(7))  # "2026-Q3"
    district: Mapped[str] = mapped_column(String(20))
    free_text: Mapped[str | None] = mapped_column(Text)  # scrubbed; never published
    # the language the survey was answered in ("en", "es"): the trust index by language
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")

    answers: Mapped[list[SurveyAnswer]] = relationship(cascade="all, delete-orphan")


class SurveyAnswer(Base):
    __tablename__ = "survey_answers"

    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id"), primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_questions.id"), primary_key=True)
    score: Mapped[int] = mapped_column(Integer)  # 0 (strongly disagree) to 10 (strongly agree)


class SurveySubmissionKey(Base):
    """A keyed hash of a browser's token, or of an address's n-th answer of a day, for one
    survey (portal.community.surveys). Not linked to any response; deleted after `day`
    (the survey's closing day for a browser, the answering day for an address)."""

    __tablename__ = "survey_submission_keys"

    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
