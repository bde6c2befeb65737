"""Public addresses of datasets and their files, and how each file is described in catalogues."""

from __future__ import annotations

from dataclasses import dataclass

from portal.models import Dataset, VersionFile

DATA_PACKAGE_SPEC = "https://specs.frictionlessdata.io/data-package/"
DEFAULT_PUBLISHER = "Police department"
FORMATS = {
    "text/csv": "CSV",
    "application/json": "JSON",
    "application/zip": "ZIP",
    "application/vnd.apache.parquet": "Parquet",
}


@dataclass(frozen=True)
class FileDescription:
    """What a catalogue says about one file of a version."""

    title: str
    description: str
    format: str
    media_type: str
    conforms_to: str | None = None


def dataset_url(base_url: str, slug: str) -> str:
    return f"{base_url}/datasets/{slug}/"


def versions_url(base_url: str, slug: str) -> str:
    return f"{base_url}/datasets/{slug}/versions/"


def file_url(base_url: str, slug: str, filename: str, number: int | None = None) -> str:
    """A file of version `number`, or of whatever version is current when number is None."""
    folder = "latest" if number is None else f"v{number}"
    return f"{base_url}/datasets/{slug}/{folder}/{filename}"


def publisher(dataset: Dataset) -> tuple[str, str | None]:
    """The publisher's name and e-mail address from the dataset definition."""
    given = dataset.meta.get("publisher") or {}
    return (given.get("name") or DEFAULT_PUBLISHER), (given.get("email") or None)


def license_url(dataset: Dataset) -> str | None:
    return (dataset.meta.get("license") or {}).get("path") or None


def describe_file(dataset: Dataset, file: VersionFile) -> FileDescription:
    kind = FORMATS.get(file.media_type, file.media_type)
    if file.filename == "datapackage.json":
        return FileDescription(
            title="Data Package descriptor",
            description=(
                "Frictionless Data Package: the table schema (data dictionary) of every "
                "table, with the size and SHA-256 checksum of each CSV file."
            ),
            format="Data Package",
            media_type=file.media_type,
            conforms_to=DATA_PACKAGE_SPEC,
        )
    if file.resource_name is None:
        return FileDescription(
            title=f"{dataset.title}: all files ({kind})",
            description="Every file of the version in one archive, with its datapackage.json.",
            format=kind,
            media_type=file.media_type,
            conforms_to=DATA_PACKAGE_SPEC if file.media_type == "application/zip" else None,
        )
    described = (dataset.meta.get("resources") or {}).get(file.resource_name) or {}
    title = described.get("title") or file.resource_name
    about = (described.get("description") or "").strip()
    rows = f"{file.row_count:,} rows" if file.row_count is not None else "Rows"
    as_what = {
        "CSV": "as UTF-8 CSV (RFC 4180)",
        "JSON": "as a JSON array of records",
        "Parquet": "as Apache Parquet, typed by the table schema",
    }.get(kind, f"as {kind}")
    return FileDescription(
        title=f"{title} ({kind})",
        description=" ".join(part for part in (about, f"{rows} {as_what}.") if part),
        format=kind,
        media_type=file.media_type,
    )
