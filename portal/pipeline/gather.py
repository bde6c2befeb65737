"""A run's first two steps: fetch each resource's source, then normalise it into the table
the dataset publishes (mapped, derived or aggregated), as CSV and Parquet in the work folder."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import polars as pl

from portal.config import Config
from portal.datasets.definitions import DatasetDefinition, ResourceDefinition
from portal.errors import DefinitionError, PortalError, SourceUnavailable, SourceUnreadable
from portal.pipeline.cells import SourceRead
from portal.pipeline.derive import derive
from portal.pipeline.normalise import aggregate, normalise
from portal.pipeline.verdict import source_read
from publishers.connectors import SOURCE_LINE, Fetched, fetch, read_table
from publishers.connectors.sources import table_format

CSV_OPTIONS = {"line_terminator": "\r\n", "null_value": ""}


def effective_source(resource: ResourceDefinition, uploads: Mapping[str, Path]) -> dict:
    """The resource's source, or an upload standing in for it (format and encoding detected)."""
    if resource.name not in uploads:
        return resource.source
    kept = {k: v for k, v in resource.source.items() if k in ("delimiter", "sheet", "records")}
    return {**kept, "type": "upload"}


def fetch_all(
    config: Config,
    definition: DatasetDefinition,
    workdir: Path,
    previous_states: Mapping[str, dict],
    uploads: Mapping[str, Path],
) -> dict[str, Fetched]:
    fetched = {}
    for resource in definition.resources:
        if resource.source is None:
            continue
        target = workdir / "raw" / resource.name
        target.mkdir(parents=True, exist_ok=True)
        state = previous_states.get(resource.name)
        with naming(resource.name, definition):
            fetched[resource.name] = fetch(
                effective_source(resource, uploads),
                target,
                base_dir=config.data_dir,
                previous_state=state if state and "sha256" in state else None,
                upload=uploads.get(resource.name),
                variables=config.source_variables,
            )
    return fetched


def normalise_all(
    definition: DatasetDefinition,
    fetched: Mapping[str, Fetched],
    workdir: Path,
    uploads: Mapping[str, Path],
) -> tuple[dict[str, Path], dict[str, pl.LazyFrame], dict[str, SourceRead]]:
    out = workdir / "normalised"
    out.mkdir(parents=True, exist_ok=True)
    tables: dict[str, Path] = {}
    sources: dict[str, pl.LazyFrame] = {}
    reads: dict[str, SourceRead] = {}
    for resource in definition.resources:
        if resource.source is None:
            continue
        with naming(resource.name, definition):
            source_spec = effective_source(resource, uploads)
            path = fetched[resource.name].path
            source = read_table(path, source_spec, workdir, with_lines=True)
            sources[resource.name] = source.drop(SOURCE_LINE)
            markers = [*resource.source.get("missing_values", ()), *resource.missing_values]
            targets = list(dict.fromkeys([*resource.field_names, *resource.columns]))
            targets = [t for t in targets if t in resource.columns]
            normalised = normalise(
                source,
                resource.columns,
                resource.table_schema,
                missing_values=markers,
                targets=targets,
            )
            work = out / f"{resource.name}.parquet"
            normalised.frame.sink_parquet(work)
            if resource.select:
                derive(work, resource.select, resource.table_schema)
            tables[resource.name] = out / f"{resource.name}.csv"
            pl.scan_parquet(work).select(resource.field_names).sink_csv(
                tables[resource.name], **CSV_OPTIONS
            )
            reads[resource.name] = source_read(
                resource, work, fetched[resource.name], table_format(source_spec, path)
            )
            reads[resource.name].ignored = normalised.ignored_columns
            reads[resource.name].blanked = normalised.blanked
    for resource in definition.resources:
        if resource.aggregate is None:
            continue
        origin = tables.get(resource.aggregate.get("from", ""))
        if origin is None:
            raise PortalError(f"{resource.name} aggregates an unknown resource")
        tables[resource.name] = out / f"{resource.name}.csv"
        aggregate(
            pl.scan_csv(origin, infer_schema=False), resource.aggregate, resource.table_schema
        ).sink_csv(tables[resource.name], **CSV_OPTIONS)
        work = out / f"{resource.name}.parquet"
        pl.scan_csv(tables[resource.name], infer_schema=False).sink_parquet(work)
        reads[resource.name] = source_read(resource, work, None, None)
    return tables, sources, reads


@contextmanager
def naming(resource: str, definition: DatasetDefinition) -> Iterator[None]:
    """Say which resource a source problem is about, when the dataset has several sources."""
    try:
        yield
    except (SourceUnavailable, SourceUnreadable, DefinitionError) as error:
        if sum(r.source is not None for r in definition.resources) < 2:
            raise
        raise type(error)(f"{resource}: {error}") from error
