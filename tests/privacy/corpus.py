"""Helpers for the adversarial corpus: a one-table dataset from a schema and a publisher entry."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import yaml

from portal.datasets.context import Portal


def dataset(
    portal: Portal,
    tmp_path: Path,
    *,
    fields: list[dict],
    columns: dict,
    source: str,
    never_publish: list[str] = (),  # type: ignore[assignment]
    privacy: dict | None = None,
    files: dict[str, str] | None = None,
) -> Portal:
    """A portal whose only dataset, `case`, publishes table `records` from `source.csv`."""
    schemas, publishers = tmp_path / "schemas", tmp_path / "publishers"
    (schemas / "case").mkdir(parents=True, exist_ok=True)
    publishers.mkdir(exist_ok=True)
    (schemas / "case" / "dataset.yaml").write_text(
        "title: Case\ndescription: A corpus case.\nresources: {records: {title: Records}}\n"
    )
    schema = {"fields": fields, "missingValues": [""]}
    (schemas / "case" / "records.schema.json").write_text(json.dumps(schema))
    resource: dict = {
        "source": {"type": "file", "path": "source.csv", "format": "csv", "encoding": "utf-8"},
        "columns": columns,
    }
    if never_publish:
        resource["never_publish"] = list(never_publish)
    if privacy:
        resource["privacy"] = privacy
    entry = {"dataset": "case", "resources": {"records": resource}}
    (publishers / "case.yaml").write_text(yaml.safe_dump(entry, sort_keys=False))
    data = portal.config.data_dir
    data.mkdir(parents=True, exist_ok=True)
    (data / "source.csv").write_text(source, encoding="utf-8")
    for name, content in (files or {}).items():
        (data / name).write_text(content, encoding="utf-8")
    return Portal(
        dataclasses.replace(portal.config, schemas_dir=schemas, publishers_dir=publishers)
    )
