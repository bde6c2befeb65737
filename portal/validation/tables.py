"""Public entry points of the fast validator: one table, or the tables of one package."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl

from portal.errors import SourceUnreadable
from portal.validation import source
from portal.validation.engine import (
    FlaggedRows,
    Lookups,
    Restart,
    Table,
    check_batch,
    header_findings,
    screen_batch,
    settle,
)
from portal.validation.key_checks import KeyChecks
from portal.validation.keys import KeyIndex, key_hashes
from portal.validation.report import FindingLog
from portal.validation.screen import Screen

SAMPLE_SIZE = 20
SELF = ""


def validate_table(schema: dict, path: Path, *, sample_size: int = SAMPLE_SIZE) -> dict:
    """Validate one CSV file against a table schema and return the grouped report."""
    if foreign_resources(schema):
        log = FindingLog(sample_size)
        note = 'package is required for foreign keys to other resources: "{fk}"'
        log.add_one("resource-error", note)
        return log.report(0)
    return validate_with_lookups(schema, path, lookups_for(schema, path, {}), sample_size)


Sink = Callable[[pl.DataFrame], None]


def validate_package(
    resources: dict[str, tuple[dict, Path]],
    *,
    sample_size: int = SAMPLE_SIZE,
    sinks: dict[str, Sink] | None = None,
) -> dict[str, dict]:
    """Validate every table of a package, foreign keys between them included.

    `sinks` (by resource) receive every finding of the data rows, not only the samples.
    """
    return {
        name: validate_with_lookups(
            schema,
            path,
            lookups_for(schema, path, resources, name),
            sample_size,
            (sinks or {}).get(name),
        )
        for name, (schema, path) in resources.items()
    }


def foreign_resources(schema: dict) -> set[str]:
    return {
        fk.get("reference", {}).get("resource", SELF) for fk in schema.get("foreignKeys", [])
    } - {SELF}


def as_names(value: str | list[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def lookups_for(
    schema: dict,
    path: Path,
    resources: dict[str, tuple[dict, Path]],
    name: str | None = None,
) -> Lookups:
    """The referenced keys of each foreign key, read from the referenced tables."""
    lookups: Lookups = {}
    for fk in schema.get("foreignKeys", []):
        reference_name = fk["reference"].get("resource", SELF)
        key = as_names(fk["reference"]["fields"])
        if reference_name in (SELF, name):
            referenced = (schema, path)
        elif reference_name in resources:
            referenced = resources[reference_name]
        else:
            continue
        by_key = lookups.setdefault(reference_name, {})
        if key not in by_key:
            by_key[key] = referenced_keys(*referenced, key)
    return lookups


def referenced_keys(schema: dict, path: Path, key: tuple[str, ...]) -> KeyIndex:
    """Hashes of the keys a referenced table holds (rows whose key cells are all blank skipped)."""
    index = KeyIndex()
    try:
        source.check_utf8(path)
    except SourceUnreadable:
        return index
    without_keys = {k: v for k, v in schema.items() if k != "foreignKeys"}
    table = Table(without_keys, path, keyed=set(key))

    def read(batches: Callable[[], Iterator[source.Batch]]) -> KeyIndex:
        index = KeyIndex()
        for batch in batches():
            _, parts = table.key_parts(batch, list(key))
            hashes, all_null = key_hashes(parts)
            index.add(hashes.filter(~all_null))
        return index

    try:
        return read(table.batches)
    except Restart:
        return read(table.python_batches)


def validate_with_lookups(
    schema: dict, path: Path, lookups: Lookups, sample_size: int, sink: Sink | None = None
) -> dict:
    if schema.get("fieldsMatch", "exact") != "exact":
        # Name-matched headers are rare enough to leave to frictionless itself.
        from portal.validation import reference

        return reference.validate_table_reference(schema, path, sample_size=sample_size)
    # The readers check UTF-8 as they go, so a valid file is read once, not twice; a file
    # that is not UTF-8 gets nothing but its encoding error, as before any other finding.
    try:
        return checked_table(schema, path, lookups, sample_size, sink)
    except (source.NotUtf8, UnicodeDecodeError):
        try:
            source.check_utf8(path)
        except SourceUnreadable as error:
            log = FindingLog(sample_size)
            log.add_one("encoding-error", str(error))
            return log.report(0)
        raise


def checked_table(
    schema: dict, path: Path, lookups: Lookups, sample_size: int, sink: Sink | None = None
) -> dict:
    table = Table(schema, path)

    def run(batches: Callable[[], Iterator[source.Batch]]) -> dict:
        # Findings go to the sink only once the pass is complete: a Restart reads again.
        kept: list[pl.DataFrame] = []
        log = FindingLog(sample_size, kept.append if sink else None)
        if not table.labels and not source.has_data(path):
            log.add_one("source-error", "the source is empty")
            return log.report(0)
        header_findings(table, log)
        foreign = []
        for fk in table.schema.foreign_keys:
            fields = as_names(fk["fields"])
            if not set(fields) <= set(table.names):
                continue
            by_key = lookups.get(fk["reference"].get("resource", SELF), {})
            lookup = by_key.get(as_names(fk["reference"]["fields"]))
            foreign.append(({**fk, "fields": list(fields)}, lookup))
        unique = {f.name for f in table.fields if f.constraints.get("unique")}
        key_checks = KeyChecks(table.names, unique, table.primary_key, foreign)
        screen = Screen(table.checks, key_checks.key_sets)
        flagged = FlaggedRows(table, key_checks.key_sets)
        rows = 0
        for batch in batches():
            rows += batch.frame.height
            screened = screen_batch(table, batch, screen, key_checks.key_sets)
            for found in check_batch(screened, key_checks, flagged):
                log.add_frame(found)
            del batch, screened  # before the next batch is made (memory)
        for found in settle(key_checks, flagged, final=True):
            log.add_frame(found)
        for frame in kept:
            sink(frame)
        return log.report(rows)

    try:
        return run(table.batches)
    except Restart:
        return run(table.python_batches)
