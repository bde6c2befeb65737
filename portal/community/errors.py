"""Errors of the community services, turned into a page or a JSON error at the edge."""

from __future__ import annotations

from portal.errors import PortalError


class FeedbackRejected(PortalError):
    """A comment or survey answer cannot be accepted as sent (too long, empty, a bot's)."""


class DuplicateSubmission(PortalError):
    """This client already answered this survey today."""


class SurveyClosed(PortalError):
    """The survey is not open for answers today."""


class UnknownComment(PortalError):
    """No comment has that id."""


class UnknownSurvey(PortalError):
    """No survey has that id."""
