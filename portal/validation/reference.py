"""The frictionless-backed validator: the trusted reference the fast engine must agree with."""

from __future__ import annotations

from pathlib import Path

from frictionless import Dialect, Package, Resource, formats

SAMPLE_SIZE = 20
DATA_RESOURCE_V2 = "https://datapackage.org/profiles/2.0/dataresource.json"


def csv_dialect() -> Dialect:
    """The dialect our normaliser writes, spelled out so frictionless does not guess it.

    Left alone, frictionless sniffs the delimiter among ",;|<tab>" (our semicolon-separated
    lists fool it) and guesses the header row from row widths (blank or ragged rows fool
    it); neither guess can be right for a file we wrote ourselves.
    """
    control = formats.CsvControl(
        delimiter=",", quote_char='"', double_quote=True, skip_initial_space=False
    )
    return Dialect(header=True, header_rows=[1], controls=[control])


def table_resource(schema: dict, path: Path, name: str | None = None) -> Resource:
    """A frictionless resource for one of our CSV files."""
    descriptor: dict = {
        "name": name or "table",
        # Absolute paths are "unsafe" to frictionless unless the base path is the file's folder.
        "path": path.name,
        "format": "csv",
        "encoding": "utf-8",
        "schema": schema,
    }
    if "/2.0/" in str(schema.get("$schema", "")):
        # Frictionless takes the standard's version from the resource, not the schema:
        # without this, v2-only constraints (exclusiveMinimum...) are rejected.
        descriptor["$schema"] = DATA_RESOURCE_V2
    resource = Resource.from_descriptor(descriptor, basepath=str(path.parent))
    resource.dialect = csv_dialect()
    return resource


def grouped_report(task, sample_size: int) -> dict:
    """Group a frictionless task's errors by type, in order of first occurrence."""
    groups: dict[str, dict] = {}
    for error in task.errors:
        group = groups.setdefault(
            error.type, {"type": error.type, "title": error.title, "count": 0, "sample": []}
        )
        group["count"] += 1
        if len(group["sample"]) < sample_size:
            group["sample"].append(
                {
                    "rowNumber": getattr(error, "row_number", None),
                    "fieldNumber": getattr(error, "field_number", None),
                    "fieldName": getattr(error, "field_name", None),
                    "cell": getattr(error, "cell", None),
                    "note": error.note,
                }
            )
    count = sum(g["count"] for g in groups.values())
    return {
        "valid": count == 0,
        "rowCount": task.stats.get("rows") or 0,
        "errorCount": count,
        "groups": list(groups.values()),
    }


def validate_table_reference(schema: dict, path: Path, *, sample_size: int = SAMPLE_SIZE) -> dict:
    """Validate one CSV file with frictionless itself and return the grouped report."""
    report = table_resource(schema, path).validate(limit_errors=10_000_000)
    return grouped_report(report.tasks[0], sample_size)


def validate_package_reference(
    resources: dict[str, tuple[dict, Path]], *, sample_size: int = SAMPLE_SIZE
) -> dict[str, dict]:
    """Validate the tables of one package (foreign keys included) with frictionless itself."""
    package = Package(resources=[table_resource(s, p, n) for n, (s, p) in resources.items()])
    report = package.validate(limit_errors=10_000_000)
    return {
        name: grouped_report(task, sample_size)
        for name, task in zip(resources, report.tasks, strict=True)
    }
