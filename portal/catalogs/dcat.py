"""The DCAT-US v1.1 catalogue (`/data.json`) of every published dataset and its files."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.catalogs.coverage import temporal_coverage
from portal.catalogs.files import (
    dataset_url,
    describe_file,
    file_url,
    license_url,
    publisher,
)
from portal.catalogs.policy_dcat import policy_entries
from portal.datasets.browse import published_datasets
from portal.models import Dataset, Version, VersionFile
from portal.storage import LocalStorage

CONFORMS_TO = "https://project-open-data.cio.gov/v1.1/schema"
CONTEXT = "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld"
DESCRIBED_BY = "https://project-open-data.cio.gov/v1.1/schema/catalog.json"
# DCAT-US accrualPeriodicity is an ISO 8601 repeating duration (or "irregular").
PERIODICITY = re.compile(r"^R/P(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?)?$")
FREQUENCIES = {
    "hourly": "R/PT1H",
    "daily": "R/P1D",
    "weekly": "R/P1W",
    "fortnightly": "R/P2W",
    "monthly": "R/P1M",
    "quarterly": "R/P3M",
    "semiannually": "R/P6M",
    "annually": "R/P1Y",
    "yearly": "R/P1Y",
    "irregularly": "irregular",
    "irregular": "irregular",
}


def data_json(session: Session, base_url: str, storage: LocalStorage) -> dict:
    """The whole catalogue, as a `data.json` document (non-federal schema)."""
    datasets = published_datasets(session)
    first_published = dict(
        session.execute(
            select(Version.dataset_id, func.min(Version.published_at)).group_by(Version.dataset_id)
        ).all()
    )
    return {
        "@context": CONTEXT,
        "@id": f"{base_url}/data.json",
        "@type": "dcat:Catalog",
        "conformsTo": CONFORMS_TO,
        "describedBy": DESCRIBED_BY,
        "dataset": [
            dataset_entry(dataset, base_url, storage, first_published.get(dataset.id))
            for dataset in datasets
        ]
        + policy_entries(session, base_url, datasets),
    }


def dataset_entry(
    dataset: Dataset, base_url: str, storage: LocalStorage, issued: datetime | None = None
) -> dict:
    """One dataset of the catalogue, described by its current version."""
    meta = dataset.meta
    version = dataset.current_version
    name, email = publisher(dataset)
    page = dataset_url(base_url, dataset.slug)
    contact = {"@type": "vcard:Contact", "fn": name}
    if email:
        contact["hasEmail"] = f"mailto:{email}"
    entry = {
        "@type": "dcat:Dataset",
        "title": dataset.title,
        "description": (meta.get("description") or dataset.title).strip(),
        "keyword": [str(word) for word in meta.get("keywords") or [] if str(word).strip()] or None,
        "modified": version.published_at.isoformat(timespec="seconds"),
        "issued": issued.isoformat(timespec="seconds") if issued else None,
        "publisher": {"@type": "org:Organization", "name": name},
        "contactPoint": contact,
        "identifier": page,
        "accessLevel": "public",
        "license": license_url(dataset),
        "spatial": _text(meta.get("spatial")),
        "temporal": None,
        "accrualPeriodicity": accrual_periodicity(meta),
        "landingPage": page,
        "describedBy": file_url(base_url, dataset.slug, "datapackage.json"),
        "describedByType": "application/json",
        "distribution": None,
    }
    if version.retracted_at is None:
        # A retracted current version answers 410 at `latest`: offer no downloads then.
        entry["temporal"] = temporal_coverage(dataset, version, storage)
        entry["distribution"] = [
            distribution(dataset, file, base_url) for file in version.files
        ] or None
    return {key: value for key, value in entry.items() if value is not None}


def distribution(dataset: Dataset, file: VersionFile, base_url: str) -> dict:
    described = describe_file(dataset, file)
    item = {
        "@type": "dcat:Distribution",
        "title": described.title,
        "description": described.description,
        "downloadURL": file_url(base_url, dataset.slug, file.filename),
        "mediaType": described.media_type,
        "format": described.format,
    }
    if described.conforms_to:
        item["conformsTo"] = described.conforms_to
    elif file.resource_name:
        item["describedBy"] = file_url(base_url, dataset.slug, "datapackage.json")
        item["describedByType"] = "application/json"
    return item


def accrual_periodicity(meta: dict) -> str | None:
    """From `accrual_periodicity`, else the publisher's cadence, else `update_frequency`."""
    given = meta.get("accrual_periodicity")
    if not given and meta.get("cadence"):
        given = f"R/{meta['cadence']}"
    if not given:
        given = FREQUENCIES.get(str(meta.get("update_frequency") or "").strip().lower())
    if given == "irregular" or (given and PERIODICITY.match(given)):
        return given
    return None


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None
