"""Errors of the community services, turned into a page or a JSON error at the edge."""

from __future__ import annotations

from portal.errors import PortalError


class FeedbackRejected(PortalError):
    """A comment or survey answer cannot be accepted as sent (too long, empty, a bot's).

    `problems` names the form field each message is about ("" when it is about the whole
    form), so a page can show each message beside its field.
    """

    def __init__(self, message: str, *, problems: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or {"": message}

    @classmethod
    def collect(cls, problems: dict[str, str]) -> FeedbackRejected:
        return cls(" ".join(problems.values()), problems=problems)


class DuplicateSubmission(PortalError):
    """This client already answered this survey today."""


class SurveyClosed(PortalError):
    """The survey is not open for answers today."""


class UnknownComment(PortalError):
    """No comment has that id."""


class UnknownSurvey(PortalError):
    """No survey has that id."""
