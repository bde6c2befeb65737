"""Collects findings as they stream in and builds the grouped report (format in __init__)."""

from __future__ import annotations

from collections.abc import Callable

import frictionless.errors as frictionless_errors
import polars as pl

TITLES = {
    cls.type: cls.title
    for cls in vars(frictionless_errors).values()
    if isinstance(cls, type) and isinstance(getattr(cls, "type", None), str)
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
