"""Foreign keys between the resources of one dataset are checked before anything is staged."""

from __future__ import annotations

import dataclasses
import json

import pytest

from portal.datasets.context import Portal
from tests.flow import run

DATASET = """
name: beats
title: Beats
resources: {districts: {title: Districts}, beats: {title: Beats}}
"""
ENTRY = """
dataset: beats
resources:
  districts:
    source: {type: file, path: districts.csv}
    columns: {district: District}
  beats:
    source: {type: file, path: beats.csv}
    columns: {beat: Beat, district: District}
"""
DISTRICTS = {"fields": [{"name": "district", "type": "string"}], "primaryKey": ["district"]}
BEATS = {
    "fields": [{"name": "beat", "type": "string"}, {"name": "district", "type": "string"}],
    "primaryKey": ["beat"],
    "foreignKeys": [
        {"fields": "district", "reference": {"resource": "districts", "fields": "district"}}
    ],
}


@pytest.fixture
def beats(portal: Portal, tmp_path):
    schemas, publishers = tmp_path / "schemas", tmp_path / "publishers"
    (schemas / "beats").mkdir(parents=True)
    publishers.mkdir()
    (schemas / "beats" / "dataset.yaml").write_text(DATASET)
    (schemas / "beats" / "districts.schema.json").write_text(json.dumps(DISTRICTS))
    (schemas / "beats" / "beats.schema.json").write_text(json.dumps(BEATS))
    (publishers / "beats.yaml").write_text(ENTRY)
    data = portal.config.data_dir
    data.mkdir(parents=True, exist_ok=True)
    (data / "districts.csv").write_text("District\nD1\nD2\n")
    return Portal(
        dataclasses.replace(portal.config, schemas_dir=schemas, publishers_dir=publishers)
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_reference_to_a_missing_row_fails_the_run(beats):
    (beats.config.data_dir / "beats.csv").write_text("Beat,District\n111,D1\n211,D2\n911,D9\n")

    result = run(beats, "beats")

    assert result.status.value == "failed"
    groups = result.report["resources"]["beats"]["groups"]
    assert [(g["type"], g["count"]) for g in groups] == [("foreign-key", 1)]
    assert groups[0]["sample"][0]["rowNumber"] == 4


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_satisfied_references_publish(beats):
    (beats.config.data_dir / "beats.csv").write_text("Beat,District\n111,D1\n211,D2\n")

    assert run(beats, "beats").status.value == "succeeded"
