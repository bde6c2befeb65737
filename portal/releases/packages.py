"""A version's own description and bundle: `datapackage.json` and the whole-version zip."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from portal.config import Config
from portal.datasets import texts
from portal.models import Dataset, Version


def media_type(filename: str) -> str:
    return {".csv": "text/csv", ".json": "application/json", ".zip": "application/zip"}.get(
        Path(filename).suffix, "application/octet-stream"
    )


def write_package(
    staged: Path, dataset: Dataset, number: int, version: Version, files: list[dict], config: Config
) -> None:
    """Add datapackage.json and the whole-version zip to the staged folder."""
    meta = dataset.meta
    schemas = {resource.name: resource for resource in dataset.resources}
    resources = []
    for item in files:
        if item["media_type"] != "text/csv":
            continue
        resource = schemas[item["resource"]]
        described = (meta.get("resources") or {}).get(item["resource"]) or {}
        resources.append(
            {
                "profile": "tabular-data-resource",
                "name": item["resource"],
                "title": resource.title,
                "description": (described.get("description") or "").strip(),
                "path": item["filename"],
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "bytes": item["size"],
                "hash": f"sha256:{item['sha256']}",
                "dialect": {"lineTerminator": "\r\n"},
                "schema": resource.table_schema,
                # the table's words in every language (README, "Languages")
                "labels": texts.resource_labels_by_language(
                    meta, item["resource"], resource.table_schema
                ),
            }
        )
    # Data Package v1 (https://specs.frictionlessdata.io/data-package/), tabular profile.
    given_license = meta.get("license") or {}
    license_ = {k: given_license[k] for k in ("name", "path", "title") if given_license.get(k)}
    publisher = meta.get("publisher") or {}
    contributor = {"title": publisher.get("name"), "email": publisher.get("email")}
    contributor = {"role": "publisher", **{k: v for k, v in contributor.items() if v}}
    package = {
        "profile": "tabular-data-package",
        "id": f"{config.base_url}/datasets/{dataset.slug}/v{number}/datapackage.json",
        "name": dataset.slug,
        "title": dataset.title,
        "version": str(number),
        "description": (meta.get("description") or "").strip(),
        "homepage": f"{config.base_url}/datasets/{dataset.slug}/",
        "created": version.published_at.isoformat(timespec="seconds"),
        "keywords": meta.get("keywords", []),
        "licenses": [license_] if license_.get("name") or license_.get("path") else [],
        "contributors": [contributor] if "title" in contributor else [],
        "resources": resources,
        # title, description, methodology and caveats in every language (README, "Languages")
        "labels": texts.dataset_labels_by_language(meta),
    }
    (staged / "datapackage.json").write_text(json.dumps(package, indent=2), encoding="utf-8")
    archive = staged / f"{dataset.slug}.zip"
    archive.unlink(missing_ok=True)
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(staged.iterdir()):
            if path != archive:
                bundle.write(path, arcname=path.name)
