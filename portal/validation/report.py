"""Collects findings as they stream in and builds the grouped report (format in __init__)."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

# frictionless' error titles by type (frictionless.errors), written out so that a report
# does not import frictionless; tests/validation/test_light_schema.py keeps them equal.
TITLES = {
    "row-error": "Row Error",
    "cell-error": "Cell Error",
    "extra-cell": "Extra Cell",
    "missing-cell": "Missing Cell",
    "type-error": "Type Error",
    "constraint-error": "Constraint Error",
    "unique-error": "Unique Error",
    "truncated-value": "Truncated Value",
    "forbidden-value": "Forbidden Value",
    "sequential-value": "Sequential Value",
    "ascii-value": "Ascii Value",
    "error": "Error",
    "data-error": "Data Error",
    "file-error": "File Error",
    "hash-count": "Hash Count Error",
    "byte-count": "Byte Count Error",
    "table-error": "Table Error",
    "header-error": "Header Error",
    "blank-header": "Blank Header",
    "unmatched-header": "Unmatched Header",
    "label-error": "Label Error",
    "extra-label": "Extra Label",
    "missing-label": "Missing Label",
    "blank-label": "Blank Label",
    "duplicate-label": "Duplicate Label",
    "incorrect-label": "Incorrect Label",
    "metadata-error": "Metadata Error",
    "catalog-error": "Catalog Error",
    "dataset-error": "Dataset Error",
    "checklist-error": "Checklist Error",
    "check-error": "Check Error",
    "detector-error": "Detector Error",
    "dialect-error": "Dialect Error",
    "control-error": "Control Error",
    "inquiry-error": "Inquiry Error",
    "inquiry-task-error": "Inquiry Task Error",
    "package-error": "Package Error",
    "pipeline-error": "Pipeline Error",
    "step-error": "Step Error",
    "report-error": "Report Error",
    "report-task-error": "Report Task Error",
    "schema-error": "Schema Error",
    "field-error": "Field Error",
    "stats-error": "Stats Error",
    "resource-error": "Resource Error",
    "source-error": "Source Error",
    "scheme-error": "Scheme Error",
    "format-error": "Format Error",
    "encoding-error": "Encoding Error",
    "compression-error": "Compression Error",
    "blank-row": "Blank Row",
    "primary-key": "PrimaryKey Error",
    "foreign-key": "ForeignKey Error",
    "duplicate-row": "Duplicate Row",
    "row-constraint": "Row Constraint",
    "field-count": "Field Count Error",
    "row-count": "Row Count Error",
    "table-dimensions": "Table dimensions error",
    "deviated-value": "Deviated Value",
    "deviated-cell": "Deviated cell",
    "required-value": "Required Value",
}
SAMPLE_FIELDS = ("rowNumber", "fieldNumber", "fieldName", "cell", "note")


class FindingLog:
    """Counts findings by error type and keeps the first `sample_size` of each type."""

    def __init__(
        self, sample_size: int, sink: Callable[[pl.DataFrame], None] | None = None
    ) -> None:
        self.sample_size = sample_size
        # Receives every finding of the data rows (the run keeps them all for its report).
        self.sink = sink
        self.groups: dict[str, dict] = {}
        self.first: dict[str, tuple[int, int]] = {}
        self.sequence = 0

    @property
    def count(self) -> int:
        return sum(group["count"] for group in self.groups.values())

    def group(self, kind: str, first: tuple[int, int]) -> dict:
        if kind not in self.groups:
            self.groups[kind] = {
                "type": kind,
                "title": TITLES.get(kind, kind),
                "count": 0,
                "sample": [],
            }
            self.first[kind] = first
        return self.groups[kind]

    def add_one(self, kind: str, note: str = "", **where: object) -> None:
        """A finding outside the data rows (source, header): they come first, in call order."""
        self.sequence += 1
        group = self.group(kind, (0, self.sequence))
        group["count"] += 1
        if len(group["sample"]) < self.sample_size:
            sample = {name: where.get(name) for name in SAMPLE_FIELDS}
            sample["note"] = note
            group["sample"].append(sample)

    def add_frame(self, frame: pl.DataFrame) -> None:
        """Findings of consecutive rows, in the finding shape of `cells.findings`."""
        if not frame.height:
            return
        frame = frame.sort("_row", "_order")
        if self.sink is not None:
            self.sink(frame)
        for (kind,), part in frame.group_by("type", maintain_order=True):
            group = self.group(str(kind), (part["_row"][0], part["_order"][0]))
            group["count"] += part.height
            room = self.sample_size - len(group["sample"])
            if room > 0:
                for row in part.head(room).iter_rows(named=True):
                    group["sample"].append(
                        {
                            "rowNumber": row["_row"],
                            "fieldNumber": row["fieldNumber"],
                            "fieldName": row["fieldName"],
                            "cell": row["cell"],
                            "note": row["note"],
                        }
                    )

    def report(self, row_count: int) -> dict:
        count = self.count
        kinds = sorted(self.groups, key=lambda kind: self.first[kind])
        return {
            "valid": count == 0,
            "rowCount": row_count,
            "errorCount": count,
            "groups": [self.groups[kind] for kind in kinds],
        }
