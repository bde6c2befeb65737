"""A department adds its own dataset with a schema and a publisher entry, no Python.

The files written here are the README's worked example ("Adding a dataset"), word for word.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from portal.config import REPO_ROOT
from portal.datasets.context import Portal
from portal.errors import DefinitionError
from tests.flow import approve, run

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def _example(name: str) -> str:
    """The fenced block that follows the README line naming `name`."""
    match = re.search(rf"`{re.escape(name)}`:?\n+```\w*\n(.*?)```", README, re.S)
    assert match, f"README has no example for {name}"
    return match.group(1)


@pytest.fixture
def pursuits(portal: Portal, tmp_path: Path) -> Portal:
    schemas, publishers = tmp_path / "schemas", tmp_path / "publishers"
    (schemas / "vehicle-pursuits").mkdir(parents=True)
    publishers.mkdir()
    for name in (
        "schemas/vehicle-pursuits/dataset.yaml",
        "schemas/vehicle-pursuits/pursuits.schema.json",
        "publishers/vehicle-pursuits.yaml",
    ):
        (tmp_path / name).write_text(_example(name), encoding="utf-8")
    source = portal.config.data_dir / "imports" / "pursuits.csv"
    source.parent.mkdir(parents=True)
    source.write_text(_example("imports/pursuits.csv"), encoding="utf-8")
    config = dataclasses.replace(portal.config, schemas_dir=schemas, publishers_dir=publishers)
    return Portal(config)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_readme_example_dataset_publishes(pursuits, client, officer):
    assert list(pursuits.definitions) == ["vehicle-pursuits"]

    result = run(pursuits, "vehicle-pursuits")
    version = approve(pursuits, officer, "vehicle-pursuits")

    assert result.status.value == "succeeded", result.error
    assert version.file("pursuits.csv").row_count == 3
    served = client.get("/datasets/vehicle-pursuits/latest/pursuits.csv").get_data(as_text=True)
    assert served.splitlines()[0] == "month,district,pursuits,terminated_by_supervisor,crashes"
    assert served.splitlines()[1] == "2026-08,D1,4,1,0"
    assert "Sgt" not in served  # the supervisor column is never published


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_broken_entry_is_a_clear_definition_error(pursuits):
    entry = pursuits.config.publishers_dir / "vehicle-pursuits.yaml"
    entry.write_text(entry.read_text().replace("    columns:", "    colums:"), encoding="utf-8")

    assert pursuits.definitions == {}
    message = pursuits.broken["vehicle-pursuits"]
    assert re.search(r"vehicle-pursuits.yaml:\d+: resources.pursuits.colums: unknown key", message)
    with pytest.raises(DefinitionError, match="unknown key 'colums'"):
        pursuits.definition("vehicle-pursuits")
