"""Domain errors: raised by the core, turned into a page, JSON or an exit code at the edge."""

from __future__ import annotations


class PortalError(Exception):
    """Base class of every error the core raises on purpose."""


class ConfigurationError(PortalError):
    """The portal is configured wrongly (missing SECRET_KEY, bad DATABASE_URL...)."""


class UnknownDataset(PortalError):
    """No dataset definition or database row has that slug."""


class DefinitionError(PortalError):
    """A schema or publisher entry is malformed."""


class SourceUnavailable(PortalError):
    """A source could not be reached or returned an error (network, HTTP status, missing file)."""


class SourceUnreadable(PortalError):
    """A fetched source cannot be read as a table (encoding, format, ragged rows)."""


class ValidationFailed(PortalError):
    """The normalised table does not satisfy its schema; the report says why."""

    def __init__(self, message: str, report: dict | None = None) -> None:
        super().__init__(message)
        self.report = report or {}


class NothingToApprove(PortalError):
    """There is no pending candidate for the dataset."""


class RunInProgress(PortalError):
    """The dataset already has a run queued or running."""


class PermissionDenied(PortalError):
    """The actor's role does not allow the action."""


class UnknownUser(PortalError):
    """No user has that e-mail address."""


class AlreadyDecided(NothingToApprove):
    """Someone else approved or rejected the candidate first (a simultaneous decision)."""


class LeaseLost(PortalError):
    """Another scheduler took the lease over: this one must not change anything any more."""
