"""schema.org `Dataset` JSON-LD for dataset pages, so search engines can index the data."""

from __future__ import annotations

import json

from portal.catalogs.coverage import temporal_coverage
from portal.catalogs.files import dataset_url, describe_file, file_url, license_url, publisher
from portal.models import Dataset, Version
from portal.storage import LocalStorage


def dataset_jsonld(
    dataset: Dataset, version: Version, base_url: str, storage: LocalStorage
) -> dict:
    """The dataset as a schema.org Dataset, described by the version the page shows."""
    meta = dataset.meta
    name, email = publisher(dataset)
    organisation = {"@type": "Organization", "name": name}
    if email:
        organisation["email"] = email
    page = dataset_url(base_url, dataset.slug)
    document = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "@id": page,
        "name": dataset.title,
        "description": (meta.get("description") or dataset.title).strip(),
        "url": page,
        "identifier": page,
        "version": str(version.number),
        "dateModified": version.published_at.isoformat(timespec="seconds"),
        "keywords": [str(word) for word in meta.get("keywords") or []],
        "license": license_url(dataset),
        "isAccessibleForFree": True,
        "creator": organisation,
        "publisher": organisation,
        "spatialCoverage": meta.get("spatial") if isinstance(meta.get("spatial"), str) else None,
        "temporalCoverage": None,
        "includedInDataCatalog": {
            "@type": "DataCatalog",
            "name": "Police transparency portal",
            "url": f"{base_url}/datasets/",
        },
        "distribution": [],
    }
    if version.retracted_at is None:
        document["temporalCoverage"] = temporal_coverage(dataset, version, storage)
        for file in version.files:
            described = describe_file(dataset, file)
            document["distribution"].append(
                {
                    "@type": "DataDownload",
                    "name": described.title,
                    "description": described.description,
                    "contentUrl": file_url(base_url, dataset.slug, file.filename, version.number),
                    "encodingFormat": described.media_type,
                    "contentSize": f"{file.size} B",
                    "sha256": file.sha256,
                }
            )
    return {key: value for key, value in document.items() if value not in (None, [])}


def script_json(document: dict) -> str:
    """JSON safe inside an HTML `<script>` element: no `</script>` or `<!--` can appear."""
    text = json.dumps(document, ensure_ascii=False, indent=1)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
