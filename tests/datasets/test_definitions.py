"""Definitions are checked as they load, name file, line and key, and a broken one stays alone."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import time
from pathlib import Path

import pytest

from portal.cli import main
from portal.config import REPO_ROOT
from portal.datasets.context import Portal
from portal.datasets.definitions import load_catalogue

ENTRY = """\
dataset: stops
resources:
  stops:
    source: {type: file, path: imports/stops.csv}
    columns:
      stop_date: {from: Date, function: date}
      district: District
"""
META = "title: Stops\n"
SCHEMA = {"fields": [{"name": "stop_date", "type": "date"}, {"name": "district"}]}


def _write(root: Path, slug: str = "stops", entry: str = ENTRY, meta: str = META) -> None:
    (root / "schemas" / slug).mkdir(parents=True, exist_ok=True)
    (root / "publishers").mkdir(exist_ok=True)
    (root / "schemas" / slug / "dataset.yaml").write_text(meta)
    (root / "schemas" / slug / "stops.schema.json").write_text(json.dumps(SCHEMA))
    (root / "publishers" / f"{slug}.yaml").write_text(
        entry.replace("dataset: stops", f"dataset: {slug}")
    )


def _catalogue(root: Path):
    return load_catalogue(root / "publishers", root / "schemas")


def test_a_good_definition_loads(tmp_path):
    _write(tmp_path)
    assert list(_catalogue(tmp_path).definitions) == ["stops"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("      district: District\n", "      district: {from: District, fucntion: lower}\n"),
            r"stops.yaml:7: resources.stops.columns.district.fucntion: unknown key 'fucntion'",
        ),
        (
            ("function: date}", "function: date, formats: ['%m/%d/%y']}"),
            r"stops.yaml:6: resources.stops.columns.stop_date: a format with a two-digit year "
            r"\(%y\) needs a `pivot`",
        ),
        (
            ("function: date}", "function: dates}"),
            r"stops.yaml:6: resources.stops.columns.stop_date.function: 'dates' is not one of",
        ),
        (
            ("    source: {type: file", "    source: {type: ftp"),
            r"stops.yaml:4: resources.stops.source.type",
        ),
        (("resources:", "resorces:"), r"stops.yaml:2: resorces: unknown key 'resorces'"),
    ],
)
def test_errors_name_the_file_line_and_key(tmp_path, change, expected):
    _write(tmp_path, entry=ENTRY.replace(*change))
    catalogue = _catalogue(tmp_path)
    assert catalogue.definitions == {}
    assert re.search(expected, catalogue.broken["stops"]), catalogue.broken


def test_dataset_yaml_is_checked_too(tmp_path):
    _write(tmp_path, meta="title: Stops\nupdate_frequncy: monthly\n")
    message = _catalogue(tmp_path).broken["stops"]
    assert "dataset.yaml:2: update_frequncy: unknown key 'update_frequncy'" in message


def test_a_broken_entry_disables_only_its_own_dataset(tmp_path):
    _write(tmp_path)
    _write(tmp_path, "half-written", entry="dataset: half-written\nresources:\n  stops:\n")
    catalogue = _catalogue(tmp_path)
    assert list(catalogue.definitions) == ["stops"]
    assert (
        "half-written.yaml:3: resources.stops: None is not of type 'object'"
        in (catalogue.broken["half-written"])
    )


def test_a_family_claim_must_match_the_family_schema(tmp_path):
    _write(tmp_path, meta="title: Stops\nfamily: use-of-force\n")
    shutil.copytree(REPO_ROOT / "schemas" / "use-of-force", tmp_path / "schemas" / "use-of-force")
    message = _catalogue(tmp_path).broken["stops"]
    assert (
        "claims family 'use-of-force' but does not match its schema: no resource 'incidents'"
        in (message)
    )
    _write(tmp_path, meta="title: Stops\nfamily: traffic\n")
    assert "family 'traffic' is not a known family" in _catalogue(tmp_path).broken["stops"]


def test_a_new_use_of_force_dataset_with_the_family_schema_loads(tmp_path):
    schemas = tmp_path / "schemas"
    shutil.copytree(REPO_ROOT / "schemas" / "use-of-force", schemas / "use-of-force")
    shutil.copytree(REPO_ROOT / "schemas" / "use-of-force", schemas / "county-force")
    meta = (schemas / "county-force" / "dataset.yaml").read_text()
    (schemas / "county-force" / "dataset.yaml").write_text(
        meta.replace("name: use-of-force", "name: county-force")
    )
    (tmp_path / "publishers").mkdir()
    entry = (REPO_ROOT / "publishers" / "use-of-force.yaml").read_text()
    (tmp_path / "publishers" / "county-force.yaml").write_text(
        entry.replace("dataset: use-of-force", "dataset: county-force")
    )
    catalogue = _catalogue(tmp_path)
    assert list(catalogue.definitions) == ["county-force"], catalogue.broken


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_portal_run_all_runs_the_others_and_names_the_broken_one(portal, runner, tmp_path):
    _write(tmp_path)
    _write(tmp_path, "half-written", entry="dataset: half-written\nresources:\n  stops:\n")
    (portal.config.data_dir / "imports").mkdir(parents=True)
    (portal.config.data_dir / "imports" / "stops.csv").write_text("Date,District\n2024-01-02,D1\n")
    runner.env.update(
        PORTAL_SCHEMAS_DIR=str(tmp_path / "schemas"),
        PORTAL_PUBLISHERS_DIR=str(tmp_path / "publishers"),
    )

    result = runner.invoke(main, ["run", "--all"])

    assert result.exit_code == 1
    assert "half-written: not run, its definition does not load: " in result.output
    assert "stops: run 1 succeeded, 1 rows" in result.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_definitions_reload_without_a_restart(portal, tmp_path):
    _write(tmp_path)
    config = dataclasses.replace(
        portal.config, schemas_dir=tmp_path / "schemas", publishers_dir=tmp_path / "publishers"
    )
    live = Portal(config)
    assert list(live.definitions) == ["stops"]

    _write(tmp_path, "searches")
    time.sleep(1.1)  # definitions are looked at again at most once a second
    assert sorted(live.definitions) == ["searches", "stops"]

    (tmp_path / "publishers" / "stops.yaml").write_text("dataset: stops\nresources: {}\n")
    time.sleep(1.1)
    assert list(live.definitions) == ["searches"]
    assert "resources: {} should be non-empty" in live.broken["stops"]
