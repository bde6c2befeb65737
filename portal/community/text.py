"""Text residents send: cleaned of control characters and scrubbed by the privacy guard's rules."""

from __future__ import annotations

import re
import unicodedata

from portal.community.errors import FeedbackRejected
from portal.privacy import rules

# Residents introduce themselves in free text more often than they leave contact details.
SELF_INTRODUCTION = (
    r"\b(?:[Mm]y name is|[Ii] am called|[Ss]igned,?)\s+[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)?"
)
SCRUB_SPEC = {"fields": ["text"], "patterns": {"name": SELF_INTRODUCTION}}
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


def scrub(text: str) -> str:
    """E-mail addresses, phone numbers, street addresses and self-introductions replaced.

    The same rules the privacy guard applies to published free-text fields, so a resident's
    contact details are never stored, let alone shown.
    """
    if not text:
        return text
    return rules.scrub_text(text, SCRUB_SPEC)


def resident_text(
    text: str | None,
    *,
    field: str,
    max_length: int,
    required: bool = False,
    scrubbed: bool = True,
) -> str | None:
    """Cleaned (and scrubbed) text within its length limit, or FeedbackRejected saying why."""
    cleaned = clean(text)
    if not cleaned:
        if required:
            raise FeedbackRejected(f"Write something in “{field}”.")
        return None
    if len(cleaned) > max_length:
        raise FeedbackRejected(
            f"“{field}” is {len(cleaned):,} characters long; the limit is {max_length:,}."
        )
    return scrub(cleaned) if scrubbed else cleaned
