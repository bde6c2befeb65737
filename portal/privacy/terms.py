"""Names, badge-like numbers and dates of birth of every dataset, for scrubbing residents' text.

Each publisher run records the tokens of its declared name columns and roster, and the
numbers and dates of its never-publish columns, as SHA-256 digests of their canonical
forms (never the values). Comments, their authors' names, moderators' answers and survey
answers are then scrubbed of any word, number or date whose digest is known. A digest of a
name can be confirmed by guessing it, so the table is as private as the rest of the database.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from portal.privacy.forms import canonical_values
from portal.privacy.models import PrivacyTerm

WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
NUMBER = re.compile(r"(?<![\w.-])\d[\d,]*(?![\w-])")
MONTHS = (
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
    [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ],
)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
DATES = (
    (re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"), ("y", "m", "d")),
    (re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\b"), ("m", "d", "y")),
    (
        re.compile(rf"\b({_MONTH})\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I),
        ("M", "d", "y"),
    ),
    (
        re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH})\s+(\d{{4}})\b", re.I),
        ("d", "M", "y"),
    ),
)
MIN_NUMBER = 4


def digest(kind: str, value: str) -> str:
    return hashlib.sha256(f"portal-privacy:{kind}:{value}".encode()).hexdigest()


@dataclass
class Terms:
    names: set[str] = field(default_factory=set)
    numbers: set[str] = field(default_factory=set)
    dates: set[str] = field(default_factory=set)

    def add(self, secrets: object) -> None:
        """The terms of one resource's secrets (`leaks.Secrets`)."""
        self.names |= {token.lower() for token in secrets.names}  # type: ignore[attr-defined]
        for value in secrets.values.get_column("v").to_list():  # type: ignore[attr-defined]
            if re.fullmatch(r"\d+", value) and len(value) >= MIN_NUMBER:
                self.numbers.add(value)
            elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                self.dates.add(value)

    def digests(self) -> list[tuple[str, str]]:
        kinds = (("name", self.names), ("number", self.numbers), ("date", self.dates))
        return sorted({(kind, digest(kind, v)) for kind, values in kinds for v in values})

    def remember(self, session: Session, dataset: str) -> None:
        """Replace the dataset's terms with these."""
        session.execute(delete(PrivacyTerm).where(PrivacyTerm.dataset == dataset))
        session.add_all(
            PrivacyTerm(dataset=dataset, kind=kind, digest=d) for kind, d in self.digests()
        )


@dataclass
class Found:
    """Spans of a text that are known terms: (start, end, replacement)."""

    spans: list[tuple[int, int, str]] = field(default_factory=list)


def known_spans(session: Session, text: str) -> list[tuple[int, int, str]]:
    """Where a text names a known person, badge-like number or date (any dataset)."""
    candidates: list[tuple[int, int, str, str, str]] = []
    for match in WORD.finditer(text):
        token = match.group().lower()
        candidates.append((match.start(), match.end(), "name", token, "[name]"))
        for part in _parts(token):
            start, end = match.start() + part.start(), match.start() + part.end()
            candidates.append((start, end, "name", part.group(), "[name]"))
    for match in NUMBER.finditer(text):
        value = canonical_values([match.group()])[0] or ""
        if value.isdigit() and len(value) >= MIN_NUMBER:
            candidates.append((match.start(), match.end(), "number", value, "[withheld]"))
    for pattern, order in DATES:
        for match in pattern.finditer(text):
            iso = _iso(dict(zip(order, match.groups(), strict=True)))
            if iso:
                candidates.append((match.start(), match.end(), "date", iso, "[date]"))
    if not candidates:
        return []
    wanted = {digest(kind, value): (kind, value) for _, _, kind, value, _ in candidates}
    known = set(
        session.scalars(select(PrivacyTerm.digest).where(PrivacyTerm.digest.in_(list(wanted))))
    )
    hits = [(s, e, r) for s, e, kind, value, r in candidates if digest(kind, value) in known]
    hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
    spans: list[tuple[int, int, str]] = []
    for start, end, replacement in hits:
        if spans and start < spans[-1][1]:
            continue  # inside a longer span already replaced
        spans.append((start, end, replacement))
    return spans


def _parts(token: str) -> list[re.Match]:
    """Every sub-word starting at a word start: possessives, hyphen and apostrophe pieces."""
    starts = [0] + [m.end() for m in re.finditer(r"['’-]", token)]
    found = []
    for start in starts:
        for end in [m.start() for m in re.finditer(r"['’-]", token)] + [len(token)]:
            if end - start >= 2 and end > start and (start, end) != (0, len(token)):
                found.append(re.compile(re.escape(token[start:end])).search(token, start))
    return [m for m in found if m is not None]


def replace_known(session: Session, text: str) -> str:
    """The text with every known name, number and date replaced."""
    out, last = [], 0
    for start, end, replacement in known_spans(session, text):
        out += [text[last:start], replacement]
        last = end
    return "".join(out) + text[last:]


def _iso(parts: dict[str, str]) -> str | None:
    try:
        month = int(parts["m"]) if "m" in parts else _month(parts["M"])
        return date(int(parts["y"]), month, int(parts["d"])).isoformat()
    except (ValueError, KeyError, TypeError):
        return None


def _month(name: str) -> int:
    key = name.lower().rstrip(".")[:3]
    return MONTHS[0].index(key) + 1
