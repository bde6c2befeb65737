"""Text residents send: cleaned of control characters and scrubbed by the privacy guard's rules.

The rules are the guard's own (e-mail addresses, plain or written "jane at example dot
org", phone numbers, street addresses), plus self-introductions, plus every name, badge-like
number and date of birth that any dataset's never-publish or name columns hold (known to
the guard by their hashes, see `portal.privacy.terms`).
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy.orm import Session

from portal.community.errors import FeedbackRejected
from portal.figures import numbers
from portal.languages import gettext
from portal.privacy.scrub import scrub_text
from portal.privacy.terms import replace_known

# Residents introduce themselves in free text more often than they leave contact details.
SELF_INTRODUCTION = (
    r"\b(?:[Mm]y name is|[Mm]y name's|[Ii] am called|[Ii]['’]m|[Ii] am|[Tt]his is|[Ss]igned,?)"
    r"\s+[A-Z][\w'’-]+(?:\s+[A-Z](?:\.|\b))?(?:\s+[A-Z][\w'’-]+)?"
)
PATTERNS = {"name": SELF_INTRODUCTION}
_BLANK_LINES = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t]+")


def clean(text: str | None) -> str:
    """Normalised Unicode, no control characters except line breaks, trimmed."""
    text = unicodedata.normalize("NFC", text or "").replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(_character(c) for c in text.replace("\t", " "))
    text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def _character(c: str) -> str:
    if c == "\n":
        return c
    category = unicodedata.category(c)
    if category.startswith("Z"):
        return " "  # no-break and other spaces
    return "" if category.startswith("C") else c  # control, format and unassigned characters


def scrub(text: str, session: Session | None = None) -> str:
    """Known names, numbers and dates, contacts, addresses and self-introductions replaced.

    The same rules the privacy guard applies to published free-text fields, so a resident's
    contact details are never stored, let alone shown. Without a session (no database at
    hand) the datasets' names, numbers and dates are not looked for.
    """
    if not text:
        return text
    text = scrub_text(text, patterns=PATTERNS) or text
    return replace_known(session, text) if session is not None else text


def resident_text(
    text: str | None,
    *,
    field: str,
    max_length: int,
    required: bool = False,
    scrubbed: bool = True,
    session: Session | None = None,
) -> str | None:
    """Cleaned (and scrubbed) text within its length limit, or FeedbackRejected saying why."""
    cleaned = clean(text)
    if not cleaned:
        if required:
            raise FeedbackRejected(gettext("Write something in “%(field)s”.", field=field))
        return None
    if len(cleaned) > max_length:
        raise FeedbackRejected(
            gettext(
                "“%(field)s” is %(length)s characters long; the limit is %(limit)s.",
                field=field,
                length=numbers.count(len(cleaned)),
                limit=numbers.count(max_length),
            )
        )
    return scrub(cleaned, session) if scrubbed else cleaned
