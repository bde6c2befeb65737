""" "About this dataset": the facts a journalist asks first, from the dataset's definition and
its current version, for the page's box and the API alike (one source for both)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime

from portal.catalogs.coverage import temporal_coverage
from portal.catalogs.files import file_url, license_url, publisher
from portal.datasets.freshness import dataset_freshness
from portal.models import Dataset, Version
from portal.storage import LocalStorage


@dataclass(frozen=True)
class About:
    licence: str | None  # its title (or SPDX-like name)
    licence_url: str | None
    coverage_start: date | None
    coverage_end: date | None
    update_frequency: str  # in words: "monthly", "irregularly"
    next_expected: date | None
    publisher: str
    contact_name: str
    contact_email: str | None
    contact_url: str | None  # a request form, when the definition names one
    citation: str
    citation_url: str  # the permanent address of this version's descriptor

    def as_dict(self) -> dict:
        found = asdict(self)
        for key in ("coverage_start", "coverage_end", "next_expected"):
            found[key] = found[key].isoformat() if found[key] else None
        return found


def about(
    dataset: Dataset, version: Version, storage: LocalStorage, base_url: str, now: datetime
) -> About:
    meta = dataset.meta or {}
    licence = meta.get("license") or {}
    name, email = publisher(dataset)
    # `contact:` in dataset.yaml is the records office for this dataset; else the publisher.
    contact = meta.get("contact") or {}
    coverage = temporal_coverage(dataset, version, storage)
    start, end = coverage.split("/") if coverage else (None, None)
    fresh = dataset_freshness(dataset, now)
    cited = file_url(base_url, dataset.slug, "datapackage.json", version.number)
    return About(
        licence=licence.get("title") or licence.get("name"),
        licence_url=license_url(dataset),
        coverage_start=date.fromisoformat(start) if start else None,
        coverage_end=date.fromisoformat(end) if end else None,
        update_frequency=str(meta.get("update_frequency") or "irregularly"),
        next_expected=fresh.next_expected.date() if fresh.next_expected else None,
        publisher=name,
        contact_name=contact.get("name") or name,
        contact_email=contact.get("email") or (None if contact.get("url") else email),
        contact_url=contact.get("url"),
        citation=(
            f"{name}, “{dataset.title}”, version {version.number} "
            f"({version.published_at:%Y-%m-%d}), {cited}."
        ),
        citation_url=cited,
    )
