"""Helpers that walk a dataset through the flow the way a user would."""

from __future__ import annotations

import csv
from pathlib import Path

from portal.datasets.context import Portal
from portal.models import Run, Version
from portal.pipeline.run import run_dataset
from portal.releases import review
from portal.users import get_user


def run(portal: Portal, slug: str = "use-of-force", **kwargs: object) -> Run:
    return run_dataset(portal.db, portal.definition(slug), **kwargs)


def approve(portal: Portal, email: str, slug: str = "use-of-force", note: str = "") -> Version:
    with portal.db.session() as session:
        version = review.approve(session, portal.config, slug, get_user(session, email), note)
        session.flush()
        return version


def publish(portal: Portal, email: str, slug: str = "use-of-force") -> Version:
    result = run(portal, slug)
    assert result.status.value == "succeeded", result.error
    return approve(portal, email, slug)


def revise_history(source: Path, year: str = "2023") -> tuple[str, str]:
    """Correct one subject's ethnicity in the first incident of `year`: a revision of
    published data. Returns the row's (incident id, subject number)."""
    with source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    row = next(r for r in rows[1:] if r[0].startswith(f"UOF-{year}-"))
    row[12] = "H" if row[12] != "H" else "N"  # SubjectEthnicity
    with source.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(rows)
    return row[0], row[1]
