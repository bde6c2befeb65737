"""The privacy guard: coarsening, hundred blocks, bins, scrubbing and small-cell suppression."""

from __future__ import annotations

import dataclasses
import json
from itertools import product

import polars as pl
import pytest

from portal.datasets.context import Portal
from portal.privacy.addresses import hundred_block
from portal.privacy.leaks import name_tokens
from portal.privacy.rules import guard_table
from portal.privacy.scrub import Vocabulary
from portal.privacy.suppress import suppress_small_cells
from tests.flow import run


def _guard(tmp_path, rows: dict, privacy: dict, names=()) -> tuple[pl.DataFrame, dict]:
    path = tmp_path / "table.csv"
    pl.DataFrame(rows).write_csv(path)
    report = guard_table(path, privacy, Vocabulary.of(sorted(name_tokens(names))))
    return pl.read_csv(path, infer_schema=False), report


def test_dates_are_coarsened_to_the_start_of_their_period(tmp_path):
    table, report = _guard(
        tmp_path, {"d": ["2024-05-17", "2024-05-01", None]}, {"coarsen": {"d": "month"}}
    )
    assert table["d"].to_list() == ["2024-05-01", "2024-05-01", None]
    assert report["coarsened"]["d"] == {"to": "month", "cells": 1}


def test_addresses_become_hundred_blocks():
    assert hundred_block("1234 N Main St") == "1200 block of N Main St"
    assert hundred_block("58 Elm St") == "0 block of Elm St"
    assert hundred_block("Main St & 5th Ave") == "Main St & 5th Ave"


def test_numbers_are_binned(tmp_path):
    table, _ = _guard(
        tmp_path,
        {"age": ["17", "18", "40", "x", None]},
        {"bin": {"age": {"breaks": [18, 30], "labels": ["<18", "18-29", "30+"]}}},
    )
    assert table["age"].to_list() == ["<18", "18-29", "30+", "unknown", None]


def test_free_text_is_scrubbed_of_names_contacts_addresses_and_case_numbers(tmp_path):
    text = (
        "Officer Maria Okafor (call 312-555-0101, m.okafor@police.example.gov) met "
        "James Nguyen at 1234 N Lake Shore Dr about case UOF-2024-000123."
    )
    table, report = _guard(
        tmp_path,
        {"note": [text]},
        {"scrub": {"fields": ["note"], "patterns": {"case number": r"UOF-\d{4}-\d{6}"}}},
        names=["Maria Okafor", "James Nguyen"],
    )
    cleaned = table["note"][0]
    for secret in ("Okafor", "Nguyen", "312-555", "@police", "1234 N Lake", "000123"):
        assert secret not in cleaned
    assert cleaned.startswith(
        "Officer [name] [name] (call [phone], [e-mail]) met [name] [name] at [address]"
    )
    assert report["scrubbed"]["note"] == {
        "names": 4,
        "e-mail addresses": 1,
        "phone numbers": 1,
        "street addresses": 1,
        "case number": 1,
        "cells": 1,
    }
    assert report["scrubSample"]["note"] == [cleaned]


def _grid(counts: dict[tuple[str, str], int]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "district": [d for d, _ in counts],
            "kind": [k for _, k in counts],
            "n": [str(v) for v in counts.values()],
            "flag": [""] * len(counts),
        }
    )


def _recoverable(table: pl.DataFrame, dims: list[str]) -> list:
    """Cells whose value follows from a published line total minus the visible cells."""
    leaks = []
    for dim in dims:
        for _, line in table.group_by(dim):
            hidden = line.filter(pl.col("flag") == "true")
            if hidden.height == 1:
                leaks.append(hidden.row(0))
    return leaks


def test_small_cells_are_suppressed_with_complements_so_totals_do_not_reveal_them():
    counts = {
        (d, k): v
        for (d, k), v in zip(
            product(["D1", "D2", "D3"], ["a", "b", "c"]),
            [12, 3, 40, 25, 30, 50, 18, 22, 4],
            strict=True,
        )
    }
    table, report = suppress_small_cells(
        _grid(counts),
        {"k": 10, "counts": ["n"], "flag": "flag", "rows": "district", "columns": "kind"},
    )

    assert report == {"k": 10, "primary": 2, "complementary": report["complementary"]}
    assert report["complementary"] >= 2
    hidden = table.filter(pl.col("flag") == "true")
    assert hidden["n"].null_count() == hidden.height
    assert {("D1", "b"), ("D3", "c")} <= set(zip(hidden["district"], hidden["kind"], strict=True))
    assert _recoverable(table, ["district"]) == []
    assert _recoverable(table, ["kind"]) == []
    assert table.filter(pl.col("flag") == "false")["n"].null_count() == 0


def test_zero_is_shown_and_a_line_of_one_small_cell_and_zeros_hides_a_zero_too():
    table, report = suppress_small_cells(
        pl.DataFrame(
            {
                "q": ["1", "1", "1"],
                "district": ["D1", "D2", "D3"],
                "n": ["5", "0", "0"],
                "flag": ["", "", ""],
            }
        ),
        {"k": 10, "counts": ["n"], "flag": "flag", "by": ["q"], "rows": "district"},
    )
    assert report["primary"] == 1 and report["complementary"] == 1
    assert table["flag"].to_list().count("true") == 2


COUNTS_DATASET = """
name: survey-counts
title: Survey counts
resources: {responses: {title: Responses by quarter and district}}
"""
COUNTS_SCHEMA = {
    "fields": [
        {"name": "quarter", "type": "string"},
        {"name": "district", "type": "string"},
        {"name": "responses", "type": "integer"},
        {"name": "suppressed", "type": "boolean"},
    ],
    "primaryKey": ["quarter", "district"],
    "missingValues": [""],
}
COUNTS_ENTRY = """
dataset: survey-counts
auto_publish: true
resources:
  responses:
    table_kind: aggregate
    source: {type: file, path: counts.csv}
    columns:
      quarter: Quarter
      district: District
      responses: Responses
      suppressed: {value: "false"}
    privacy:
      suppress: {k: 10, counts: [responses], by: [quarter], rows: district, flag: suppressed}
"""


@pytest.fixture
def counts(portal: Portal, tmp_path) -> Portal:
    schemas, publishers = tmp_path / "schemas", tmp_path / "publishers"
    (schemas / "survey-counts").mkdir(parents=True)
    publishers.mkdir()
    (schemas / "survey-counts" / "dataset.yaml").write_text(COUNTS_DATASET)
    (schemas / "survey-counts" / "responses.schema.json").write_text(json.dumps(COUNTS_SCHEMA))
    (publishers / "survey-counts.yaml").write_text(COUNTS_ENTRY)
    portal.config.data_dir.mkdir(parents=True, exist_ok=True)
    (portal.config.data_dir / "counts.csv").write_text(
        "Quarter,District,Responses\n2026Q1,D1,140\n2026Q1,D2,7\n2026Q1,D3,95\n2026Q1,D4,60\n"
    )
    return Portal(
        dataclasses.replace(portal.config, schemas_dir=schemas, publishers_dir=publishers)
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_aggregate_dataset_is_suppressed_reported_and_auto_published(counts, client):
    from sqlalchemy import select

    from portal.models import AuditEvent

    result = run(counts, "survey-counts")

    assert result.status.value == "succeeded", result.error
    assert result.report["privacy"]["responses"]["suppressed"] == {
        "k": 10,
        "primary": 1,
        "complementary": 1,
    }
    served = client.get("/datasets/survey-counts/latest/responses.csv").get_data(as_text=True)
    assert served.splitlines()[1:] == [
        "2026Q1,D1,140,false",
        "2026Q1,D2,,true",
        "2026Q1,D3,95,false",
        "2026Q1,D4,,true",
    ]
    with counts.db.session() as session:
        actions = session.scalars(select(AuditEvent.action)).all()
    assert "candidate.auto_publish" in actions


def test_auto_publish_is_refused_for_record_level_tables(counts):
    entry = counts.config.publishers_dir / "survey-counts.yaml"
    entry.write_text(entry.read_text().replace("table_kind: aggregate", "table_kind: records"))
    # The broken entry disables its own dataset, and says why.
    assert "survey-counts" not in counts.definitions
    assert "auto_publish is only allowed" in counts.broken["survey-counts"]
