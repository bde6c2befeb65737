"""The fast streaming validator: frictionless' findings, computed batch by batch in polars.

Each batch is screened in one polars pass (`screen.py`); only the rows the screen flags
get the exact per-field checks (`cells.py`); key hashes go to the key checks
(`key_checks.py`), which report a block of rows at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any

import polars as pl

from portal.validation import source
from portal.validation.cells import (
    EXTRA_CELL,
    FINDING_SCHEMA,
    MISSING_CELL,
    FieldCheck,
    empty_findings,
    finding_frame,
)
from portal.validation.key_checks import ExactKeys, KeyChecks
from portal.validation.keys import KeyIndex, key_hashes
from portal.validation.light import LightField, light_schema
from portal.validation.report import FindingLog
from portal.validation.screen import (
    PROBLEM,
    Screen,
    hash_column,
    null_column,
    problem_column,
)

BATCH_SIZE = 100_000
# Flagged rows gathered before their exact checks run: see FlaggedRows.
PENDING_ROWS = 50_000
# The flag of a row whose every cell is missing (see cell_findings).
BLANK = "_blank"
# sourceName -> sourceKey -> the referenced keys
Lookups = dict[str, dict[tuple[str, ...], KeyIndex]]


class Table:
    """One CSV file read against one schema: header, expected fields and batches."""

    def __init__(self, schema: dict, path: Path, *, keyed: set[str] | None = None) -> None:
        light = light_schema(schema)
        if light is not None:
            self.schema: Any = light
            stand_in: Any = LightField
        else:  # a schema only frictionless can read in full
            from frictionless import Field, Schema

            self.schema = Schema.from_descriptor(schema)
            stand_in = Field.from_descriptor
        self.path = path
        self.labels, self.one_line_header = source.read_labels(path)
        fields = self.schema.fields
        if self.labels:
            # Frictionless pairs labels and fields by position; a label beyond the schema
            # gets a stand-in field of type "any" named after it.
            fields = [
                fields[i]
                if i < len(fields)
                else stand_in({"name": label or f"field{i + 1}", "type": "any"})
                for i, label in enumerate(self.labels)
            ]
        self.fields = fields
        self.names = [f.name for f in fields]
        keyed = keyed if keyed is not None else self.keyed_names()
        self.checks = [
            FieldCheck(f, number, keyed=f.name in keyed) for number, f in enumerate(fields, 1)
        ]

    def keyed_names(self) -> set[str]:
        names = {f.name for f in self.fields if f.constraints.get("unique")}
        names |= set(self.primary_key)
        for fk in self.schema.foreign_keys:
            names |= set(fk["fields"])
        return names

    @property
    def primary_key(self) -> list[str]:
        key = list(self.schema.primary_key)
        return key if key and set(key) <= set(self.names) else []

    def batches(self, batch_size: int = BATCH_SIZE) -> Iterator[source.Batch]:
        """Batches of rows; the fast line splitter when the file allows it."""
        width = len(self.fields)
        if self.one_line_header and width:
            try:
                yield from source.read_ahead(source.polars_batches(self.path, width, batch_size))
                return
            except source.NeedsLineByLineReading:
                pass
            # The caller restarts from the first row: see `restartable`.
            raise Restart
        yield from source.python_batches(self.path, width, batch_size)

    def python_batches(self, batch_size: int = BATCH_SIZE) -> Iterator[source.Batch]:
        yield from source.python_batches(self.path, len(self.fields), batch_size)

    def key_parts(self, batch: source.Batch, names: list[str]) -> tuple[dict, list[pl.Series]]:
        """Check the keyed fields of a batch; return their results and key columns by name."""
        results = {}
        for check in self.checks:
            if check.name in names and check.name not in results:
                results[check.name] = check.check(batch.frame)
        parts = [
            results[n].key
            if n in results
            else pl.Series([None] * batch.frame.height, dtype=pl.String)
            for n in names
        ]
        return results, parts


class Restart(Exception):
    """The fast reader met a record it cannot split; read the file again with the csv module."""


def header_findings(table: Table, log: FindingLog) -> None:
    """Label errors, exactly as frictionless' Header reports them under fieldsMatch "exact"."""
    labels, schema_fields = table.labels, table.schema.fields
    if not labels:
        return
    for number in range(len(schema_fields) + 1, len(labels) + 1):
        log.add_one("extra-label", fieldNumber=number, fieldName="")
    for offset, field in enumerate(schema_fields[len(labels) :]):
        log.add_one("missing-label", fieldNumber=len(labels) + offset + 1, fieldName=field.name)
    for index, (field, label) in enumerate(zip(schema_fields, labels, strict=False)):
        number = index + 1
        if not label:
            log.add_one("blank-label", fieldNumber=number, fieldName=field.name)
            continue
        earlier = [str(i) for i, seen in enumerate(labels[:index], 1) if seen == label]
        if earlier:
            note = f'at position "{", ".join(earlier)}"'
            log.add_one("duplicate-label", note, fieldNumber=number, fieldName=field.name)
        elif label != field.name:
            log.add_one("incorrect-label", fieldNumber=number, fieldName=field.name)


class FlaggedRows:
    """The rows the screen flagged, gathered over batches for their exact checks.

    The exact checks cost a few polars passes per field whether a batch flags 30 rows or
    30,000, so they run once per `PENDING_ROWS` flagged rows, before each block of key
    checks and at the end, not once per batch. Findings are sorted by row before they are
    reported, so their order is the same.
    """

    def __init__(self, table: Table, key_sets: dict[str, list[str]]) -> None:
        self.table = table
        self.key_sets = key_sets
        self.frames: list[pl.DataFrame] = []
        self.extras: dict[int, list[str]] = {}
        self.noisy: set[int] = set()
        self.rows = 0

    @property
    def full(self) -> bool:
        return self.rows >= PENDING_ROWS

    def add(self, rows: source.Batch, noisy: set[int]) -> None:
        # Copies of the cells: a filtered string column is a view that would keep the whole
        # chunk's text alive (the 5M-row file's peak grew from 197 MB to 637 MB without).
        self.frames.append(rows.frame.with_columns(pl.col(pl.String) + ""))
        self.extras.update(rows.extras)
        self.noisy |= noisy
        self.rows += rows.frame.height

    def flush(self) -> tuple[pl.DataFrame | None, ExactKeys | None]:
        """The findings of the gathered rows, and their exact key hashes."""
        if not self.frames:
            return None, None
        rows = source.Batch(pl.concat(self.frames), self.extras)
        found, keys = cell_findings(self.table, rows, self.noisy)
        self.frames, self.extras, self.noisy, self.rows = [], {}, set(), 0
        exact = ExactKeys(rows.frame["_row"], {}, {})
        for name, fields in self.key_sets.items():
            exact.hashes[name], exact.nulls[name] = key_hashes([keys[n] for n in fields])
        return found, exact


@dataclass
class ScreenedBatch:
    """A batch after the screen: the key hashes of every row (exact but for the rows with
    a flagged keyed cell, see FlaggedRows.flush) and the flagged rows."""

    rows: pl.Series
    hashes: dict[str, pl.Series]
    nulls: dict[str, pl.Series]
    flagged: source.Batch | None = None
    noisy: set[int] = dataclass_field(default_factory=set)


def screen_batch(
    table: Table, batch: source.Batch, screen: Screen, key_sets: dict[str, list[str]]
) -> ScreenedBatch:
    """Screen a batch: its key hashes, and its flagged rows with the fields they flag."""
    frame = batch.frame
    screened = screen.run(frame, regular=batch.regular)
    result = ScreenedBatch(
        frame["_row"],
        {name: screened[hash_column(name)] for name in key_sets},
        {name: screened[null_column(name)] for name in key_sets},
    )
    problem = screened[PROBLEM]
    if not problem.any():
        return result
    # Rows with extra cells are flagged too, so the batch's extras go with the flagged rows.
    result.flagged = source.Batch(frame.filter(problem), batch.extras)
    # (a field's problem flag is raised only on flagged rows)
    result.noisy = {c.number for c in table.checks if screened[problem_column(c.number)].any()}
    return result


def check_batch(
    screened: ScreenedBatch, key_checks: KeyChecks, flagged: FlaggedRows
) -> list[pl.DataFrame]:
    """The findings ready to report after this batch: see `settle`."""
    if screened.flagged is not None:
        flagged.add(screened.flagged, screened.noisy)
    key_checks.add(screened.rows, screened.hashes, screened.nulls)
    return settle(key_checks, flagged)


def settle(
    key_checks: KeyChecks, flagged: FlaggedRows, *, final: bool = False
) -> list[pl.DataFrame]:
    """The findings ready to report: the flagged rows' cell findings once `flagged` is full,
    and key findings once a block of keys is full. The screen's hash of a flagged keyed
    cell is not exact, so a block's flagged rows are checked (and their exact keys put in
    the block) before the block's keys are."""
    out: list[pl.DataFrame | None] = []
    keys_due = final or key_checks.full
    if keys_due or flagged.full:
        found, exact = flagged.flush()
        out.append(found)
        if exact is not None:
            key_checks.correct(exact)
    if keys_due:
        out.append(key_checks.flush())
    return [found for found in out if found is not None]


def cell_findings(
    table: Table, batch: source.Batch, noisy: set[int] | None = None
) -> tuple[pl.DataFrame, dict[str, pl.Series | None]]:
    """The cell and row findings of a batch, and the exact key column of each keyed field.

    Only the fields numbered in `noisy` (default: all) can have findings in the batch.
    """
    frame = batch.frame
    out: list[pl.DataFrame] = []
    keys: dict[str, pl.Series | None] = {}
    # One select computes the flags of every field; the findings are then taken from the
    # (rare) flags that are raised.
    exprs = {}
    for check in table.checks:
        quiet = noisy is not None and check.number not in noisy
        exprs.update(check.quiet_flag_exprs if quiet else check.flag_exprs)
    missing = [expr for name, expr in exprs.items() if name.endswith(":missing")]
    exprs[BLANK] = pl.all_horizontal(missing) if missing else pl.lit(False)
    flags = frame.select(**exprs)
    for check in table.checks:
        result = check.results(frame, flags)
        out.extend(result.findings)
        keys.setdefault(check.name, result.key)
    width = len(table.checks)
    count, rows = frame["_n"], frame["_row"]
    shortest = int(count.min()) if frame.height else width
    for j in range(shortest, width):
        short = count <= j
        number, name = j + 1, table.names[j]
        out.append(
            finding_frame(
                rows.filter(short),
                MISSING_CELL + number,
                "missing-cell",
                number=number,
                name=name,
                cells="",
            )
        )
    extra = [
        (row, width + k + 1, cell)
        for row, cells in batch.extras.items()
        for k, cell in enumerate(cells)
    ]
    if extra:
        extra_rows, numbers, cells = zip(*extra, strict=True)
        out.append(
            pl.DataFrame(
                {
                    "_row": extra_rows,
                    "_order": [EXTRA_CELL + n for n in numbers],
                    "type": ["extra-cell"] * len(extra),
                    "fieldNumber": numbers,
                    "fieldName": [""] * len(extra),
                    "cell": cells,
                    "note": [""] * len(extra),
                },
                schema=FINDING_SCHEMA,
            )
        )
    found = pl.concat(out) if out else empty_findings()
    # A row whose every cell is blank reports one blank-row error instead of its cell errors.
    blank = flags[BLANK]
    if blank.any():
        blank_rows = rows.filter(blank)
        found = found.filter(~pl.col("_row").is_in(blank_rows.implode()))
        found = pl.concat([found, finding_frame(blank_rows, 0, "blank-row")])
    return found, keys
