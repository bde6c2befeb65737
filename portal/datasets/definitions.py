"""Dataset definitions: a schema folder in schemas/ plus a publisher entry in publishers/."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import audit
from portal.datasets import texts
from portal.datasets.checks import check_columns, check_family, read_yaml, schema_errors
from portal.errors import DefinitionError, UnknownDataset
from portal.models import Dataset, Resource
from portal.privacy.declaration import check_declaration
from portal.validation.table_schema import read_schema
from publishers.connectors import check_source


@dataclass(frozen=True)
class ResourceDefinition:
    name: str
    title: str
    description: str
    table_schema: dict
    source: dict | None = None  # None for a resource aggregated from another one
    columns: dict[str, Any] = field(default_factory=dict)
    aggregate: dict | None = None
    never_publish: tuple[str, ...] = ()
    privacy: dict = field(default_factory=dict)
    # "aggregate" for tables of counts with no row per person: the only kind that may auto-publish.
    table_kind: str = "records"
    missing_values: tuple[str, ...] = ()  # source cells that mean "no value" (NULL, N/A …)
    select: dict[str, str] = field(default_factory=dict)  # derived fields: DuckDB expressions

    @property
    def field_names(self) -> list[str]:
        return [f["name"] for f in self.table_schema["fields"]]


@dataclass(frozen=True)
class DatasetDefinition:
    slug: str
    meta: dict
    resources: tuple[ResourceDefinition, ...]
    schedule: dict = field(default_factory=dict)
    cadence: str | None = None
    auto_publish: bool = False
    entry: str = ""  # the publisher entry's path, for messages

    @property
    def title(self) -> str:
        return self.meta.get("title", self.slug)

    def resource(self, name: str) -> ResourceDefinition:
        for resource in self.resources:
            if resource.name == name:
                return resource
        raise DefinitionError(f"{self.slug} has no resource named {name!r}")


def load_definition(entry_path: Path, schemas_dir: Path) -> DatasetDefinition:
    """One dataset's definition, checked against the JSON Schemas and its family's schema."""
    entry, entry_node = read_yaml(entry_path)
    schema_errors("entry", entry, entry_path, entry_node)
    check_columns(entry, entry_path, entry_node)
    slug = entry.get("dataset") or entry_path.stem
    schema_dir = schemas_dir / slug
    meta_path = schema_dir / "dataset.yaml"
    if not meta_path.is_file():
        raise DefinitionError(f"{entry_path}: dataset {slug!r} has no {meta_path}")
    meta, meta_node = read_yaml(meta_path)
    schema_errors("meta", meta, meta_path, meta_node)
    meta = texts.split(meta)  # English in place, other languages under `translations`
    resources = []
    for name, spec in (entry.get("resources") or {}).items():
        spec = spec or {}
        table_schema = read_schema(schema_dir / f"{name}.schema.json")
        described = (meta.get("resources") or {}).get(name) or {}
        resource = ResourceDefinition(
            name=name,
            title=described.get("title", name),
            description=described.get("description", ""),
            table_schema=table_schema,
            source=spec.get("source"),
            columns=spec.get("columns") or {},
            aggregate=spec.get("aggregate"),
            never_publish=tuple(spec.get("never_publish") or ()),
            privacy=spec.get("privacy") or {},
            table_kind="aggregate" if spec.get("aggregate") else spec.get("table_kind", "records"),
            missing_values=tuple(str(v) for v in spec.get("missing_values") or ()),
            select={str(k): str(v) for k, v in (spec.get("select") or {}).items()},
        )
        check_declaration(entry_path, resource, slug)
        _check_resource(slug, resource)
        resources.append(resource)
    if not resources:
        raise DefinitionError(f"{entry_path}: the publisher entry lists no resources")
    check_family(
        slug,
        meta,
        {
            r.name: {f["name"]: f.get("type", "string") for f in r.table_schema["fields"]}
            for r in resources
        },
        schemas_dir,
    )
    auto_publish = bool(entry.get("auto_publish"))
    if auto_publish and any(r.table_kind != "aggregate" for r in resources):
        raise DefinitionError(
            f"{entry_path}: auto_publish is only allowed when every resource is an aggregate "
            "table (table_kind: aggregate, or derived with aggregate:)"
        )
    return DatasetDefinition(
        slug=slug,
        meta=meta,
        resources=tuple(resources),
        schedule=entry.get("schedule") or {},
        cadence=entry.get("cadence"),
        auto_publish=auto_publish,
        entry=str(entry_path),
    )


def _check_resource(slug: str, resource: ResourceDefinition) -> None:
    where = f"{slug}/{resource.name}"
    if (resource.source is None) == (resource.aggregate is None):
        raise DefinitionError(f"{where}: give either a source or an aggregate, not both or neither")
    if resource.source is not None:
        try:
            check_source(resource.source)
        except DefinitionError as error:
            raise DefinitionError(f"{where}: {error}") from error
        computed = set(resource.columns) | set(resource.select)
        missing = [name for name in resource.field_names if name not in computed]
        if missing:
            raise DefinitionError(f"{where}: no column mapping for schema fields {missing}")
        unknown = [name for name in resource.select if name not in resource.field_names]
        if unknown:
            raise DefinitionError(f"{where}: select computes {unknown}, not fields of the schema")
        if not resource.select:
            # Without a select, a column that is no field would be computed and thrown away.
            unknown = [name for name in resource.columns if name not in resource.field_names]
            if unknown:
                raise DefinitionError(f"{where}: columns {unknown} are not fields of the schema")


@dataclass(frozen=True)
class Catalogue:
    """The datasets whose definitions load, and why each of the others does not."""

    definitions: dict[str, DatasetDefinition]
    broken: dict[str, str]  # slug (or entry file name) -> the definition error


def load_catalogue(publishers_dir: Path, schemas_dir: Path) -> Catalogue:
    """Every `publishers/*.yaml` entry; a broken one disables only its own dataset."""
    definitions: dict[str, DatasetDefinition] = {}
    broken: dict[str, str] = {}
    for entry_path in sorted(publishers_dir.glob("*.yaml")):
        try:
            definition = load_definition(entry_path, schemas_dir)
        except DefinitionError as error:
            broken[_slug_of(entry_path)] = str(error)
            continue
        if definition.slug in definitions:
            broken[definition.slug] = (
                f"{entry_path}: a second publisher entry for {definition.slug}"
            )
            continue
        definitions[definition.slug] = definition
    for slug in broken:
        definitions.pop(slug, None)
    return Catalogue(definitions, broken)


def _slug_of(entry_path: Path) -> str:
    try:
        entry, _ = read_yaml(entry_path)
    except DefinitionError:
        return entry_path.stem
    slug = entry.get("dataset")
    return slug if isinstance(slug, str) and slug else entry_path.stem


def load_definitions(publishers_dir: Path, schemas_dir: Path) -> dict[str, DatasetDefinition]:
    """Every dataset defined by a `publishers/*.yaml` entry, by slug; any broken one raises."""
    catalogue = load_catalogue(publishers_dir, schemas_dir)
    if catalogue.broken:
        raise DefinitionError("; ".join(catalogue.broken.values()))
    return catalogue.definitions


def sync_dataset(session: Session, definition: DatasetDefinition) -> Dataset:
    """Create or update the dataset's row and its resources from the definition.

    A change is audited: what the public pages show of a dataset changed with it.
    """
    dataset = session.scalar(select(Dataset).where(Dataset.slug == definition.slug))
    if dataset is None:
        dataset = Dataset(slug=definition.slug, title=definition.title, family="", meta={})
        session.add(dataset)
    before = _described(dataset)
    dataset.title = definition.title
    dataset.family = definition.meta.get("family", definition.slug)
    dataset.meta = {
        **definition.meta,
        "cadence": definition.cadence,
        "schedule": definition.schedule,
    }
    existing = {resource.name: resource for resource in dataset.resources}
    for position, spec in enumerate(definition.resources):
        resource = existing.get(spec.name)
        if resource is None:
            resource = Resource(name=spec.name, title=spec.title, table_schema={})
            dataset.resources.append(resource)
        resource.title = spec.title
        resource.position = position
        resource.table_schema = spec.table_schema
    session.flush()
    if _described(dataset) != before:
        audit.record(session, "catalog", "dataset.define", "dataset", dataset.id)
    return dataset


def _described(dataset: Dataset) -> str:
    resources = [(r.name, r.title, r.position, r.table_schema) for r in dataset.resources]
    described = (dataset.title, dataset.family, dataset.meta, resources)
    return json.dumps(described, sort_keys=True, default=str)


def get_dataset(session: Session, slug: str) -> Dataset:
    dataset = session.scalar(select(Dataset).where(Dataset.slug == slug))
    if dataset is None:
        raise UnknownDataset(f"no dataset named {slug!r}")
    return dataset
