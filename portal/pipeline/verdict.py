"""The run's verdict on its tables: every cell by field (source value, file, line) and what failed.

`run.py` calls these after validation; `portal report` and the office's run page read the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import polars as pl

from portal.config import Config
from portal.datasets.definitions import ResourceDefinition
from portal.pipeline.cells import (
    SourceRead,
    findings_path,
    locate,
    mapping_findings,
    save_findings,
    summary,
    validation_findings,
)
from publishers.connectors import Fetched

UNITS = {"csv": "line", "xlsx": "row", "json": "record"}


def source_read(
    resource: ResourceDefinition, work: Path, fetched: Fetched | None, fmt: str | None
) -> SourceRead:
    schema = resource.table_schema
    key = schema.get("primaryKey") or []
    single = fetched.path.name if fetched and fetched.path and not fetched.parts else None
    return SourceRead(
        resource=resource.name,
        file=_source_file_name(resource, fetched) if single else None,
        parts=fetched.parts if fetched else (),
        fields=resource.field_names,
        columns=resource.columns,
        work=work,
        source=fetched.description if fetched else f"derived from {resource.aggregate['from']}",
        unit=UNITS.get(fmt or "", "row"),
        primary_key=[key] if isinstance(key, str) else list(key),
        unique=[f["name"] for f in schema["fields"] if (f.get("constraints") or {}).get("unique")],
    )


def _source_file_name(resource: ResourceDefinition, fetched: Fetched) -> str:
    """The name officers know the source by: its path, URL or upload's name."""
    source = resource.source or {}
    if source.get("type") == "sql":
        return fetched.description
    if source.get("type") == "file" and fetched.path is not None:
        return str(source.get("path"))
    if source.get("type") == "http":
        return str(source.get("url"))
    return fetched.path.name if fetched.path is not None else ""


def cell_report(
    config: Config,
    run_id: int,
    reads: Mapping[str, SourceRead],
    kept: Mapping[str, list[pl.DataFrame]],
) -> dict[str, dict]:
    """Every finding of each resource saved for paging; counts and samples per field returned."""
    cells = {}
    for name, read in reads.items():
        found = pl.concat(
            [mapping_findings(read), validation_findings(read, kept.get(name, []))]
        ).sort("row", "field", nulls_last=True)
        found = locate(read, found)
        save_findings(findings_path(config.reports_dir, run_id, name), found)
        cells[name] = summary(read, found)
    return cells


def add_mapping_errors(report: dict, cells: dict) -> None:
    """Cells no mapping could read are validation errors too, first in the resource's report."""
    samples = [
        {
            "rowNumber": sample["row"],
            "fieldNumber": None,
            "fieldName": field,
            "cell": sample["value"],
            "note": f"{sample['note']} ({cells['unit']} {sample['line']} of {sample['file']})"
            if sample["line"] is not None
            else sample["note"],
        }
        for field, counts in cells["fields"].items()
        for sample in counts["samples"]
        if sample["kind"] == "failed"
    ]
    count = sum(counts["failed"] for counts in cells["fields"].values())
    group = {
        "type": "mapping-error",
        "title": "Cell its mapping cannot read",
        "count": count,
        "sample": samples,
    }
    report["groups"] = [group, *report["groups"]]
    report["errorCount"] += count
    report["valid"] = False


def failure_summary(reports: Mapping[str, dict], cells: Mapping[str, dict]) -> str:
    """What failed: cells no mapping could read (first ones named), then schema problems."""
    parts = []
    for name, cell in cells.items():
        for field, counts in cell["fields"].items():
            if not counts["failed"]:
                continue
            shown = [s for s in counts["samples"] if s["kind"] == "failed"][:3]
            where = "; ".join(
                f"{s['value']!r} on {cell['unit']} {s['line']}"
                + (f" of {s['file']}" if cell.get("combined") else "")
                if s["line"]
                else repr(s["value"])
                for s in shown
            )
            more = f" and {counts['failed'] - len(shown):,} more" if counts["failed"] > 3 else ""
            count = counts["failed"]
            cells_word = "1 cell cannot" if count == 1 else f"{count:,} cells cannot"
            parts.append(f"{name}.{field}: {cells_word} be read ({where}{more})")
    message = ""
    if parts:
        message = "cells the mapping cannot read without changing them: " + "; ".join(parts)
    if not all(r["valid"] for r in reports.values()):
        message = "; ".join(m for m in (message, summary_of(reports)) if m)
    return message


def summary_of(reports: Mapping[str, dict]) -> str:
    parts = []
    for name, report in reports.items():
        if report["valid"]:
            continue
        kinds = ", ".join(f"{g['count']:,} × {g['title'].lower()}" for g in report["groups"])
        count = report["errorCount"]
        parts.append(f"{name}: {count:,} {'problem' if count == 1 else 'problems'} ({kinds})")
    return "the data does not match its schema: " + "; ".join(parts)
