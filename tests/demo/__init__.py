"""Tests of the demo source generators, and helpers that map a source with its publisher entry."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import yaml
from frictionless import Report, Resource, Schema

from portal.datasets import texts
from portal.pipeline.normalise import ERROR, normalise
from publishers.connectors import read_table

ROOT = Path(__file__).resolve().parents[2]


def publisher_entry(slug: str) -> dict:
    return yaml.safe_load((ROOT / "publishers" / f"{slug}.yaml").read_text(encoding="utf-8"))


def table_schema(slug: str, resource: str) -> dict:
    path = ROOT / "schemas" / slug / f"{resource}.schema.json"
    return json.loads(path.read_text(encoding="utf-8"))


def dataset_metadata(slug: str) -> dict:
    """The dataset.yaml as the loader reads it: English in place, other languages set aside."""
    raw = yaml.safe_load((ROOT / "schemas" / slug / "dataset.yaml").read_text(encoding="utf-8"))
    return texts.split(raw)


def schema_problems(slug: str, resource: str) -> list[list[str]]:
    """What frictionless finds wrong with a table schema descriptor (empty when valid)."""
    descriptor = table_schema(slug, resource)
    Schema.from_descriptor(descriptor)  # raises on a descriptor it cannot load at all
    return Schema.validate_descriptor(descriptor).flatten(["type", "note"])


def read_source(data_dir: Path, slug: str, resource: str, workdir: Path) -> pl.DataFrame:
    """The resource's source as the connectors read it: text columns named as in the source."""
    source = publisher_entry(slug)["resources"][resource]["source"]
    return read_table(data_dir / source["path"], source, workdir).collect()


def map_and_validate(
    data_dir: Path, slug: str, resource: str, workdir: Path
) -> tuple[pl.DataFrame, Report]:
    """Read a generated source and map it with its publisher entry, as a run does.

    Returns the mapped table read back with inferred types, and frictionless's own report on it.
    """
    entry = publisher_entry(slug)["resources"][resource]
    schema = table_schema(slug, resource)
    source = read_source(data_dir, slug, resource, workdir / "read")
    mapped = normalise(source.lazy(), entry["columns"], schema).frame.collect()
    failed = [c for c in mapped.columns if c.startswith(ERROR) and mapped[c].is_not_null().any()]
    assert not failed, f"demo cells no mapping can read: {failed}"
    table = mapped.select([f["name"] for f in schema["fields"]])
    path = workdir / f"{slug}-{resource}.csv"
    table.write_csv(path)
    described = Resource(
        path=path.name, basepath=str(workdir), schema=Schema.from_descriptor(schema)
    )
    report = described.validate()
    return pl.read_csv(path, infer_schema_length=None), report
