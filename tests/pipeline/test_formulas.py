"""Spreadsheet formulas: neutralised in CSV cells only; JSON, Parquet and the API keep values."""

from __future__ import annotations

import csv
import io

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.pipeline.normalise import (
    ESCAPE,
    FORMULA_PREFIXES,
    neutralise_formulas,
    restore_formulas,
)
from portal.storage import LocalStorage
from tests.flow import publish
from tests.scheduler.conftest import tiny_config, write_source

RISKY = [
    "=1+1",
    "+SUM(A1)",
    "-2",
    "@cmd",
    "＝A1",
    "＋1",
    "－1",
    "＠x",
    "﹢1",
    "|calc",
    "'quoted",
]


@pytest.fixture
def config(tmp_path, database_url):
    return tiny_config(tmp_path, database_url, "0 6 2 1 *")


def test_formula_starts_are_escaped_in_the_csv_and_nowhere_else(portal, client, officer):
    months = [*RISKY, "2026-10"]
    write_source(portal.config.data_dir, [(m, i) for i, m in enumerate(months)])

    version = publish(portal, officer, "tiny")

    storage = LocalStorage(portal.config.data_dir)
    text = storage.path(version.file("stops.csv").path).read_text(encoding="utf-8")
    cells = [row[0] for row in csv.reader(io.StringIO(text))][1:]
    assert cells == ["'" + m for m in RISKY] + ["2026-10"]
    as_json = client.get("/datasets/tiny/v1/stops.json").get_json()
    assert [row["month"] for row in as_json] == months
    parquet = pl.read_parquet(storage.path(version.file("stops.parquet").path))
    assert parquet["month"].to_list() == months
    api = client.get("/api/v1/datasets/tiny/resources/stops/rows?limit=100").get_json()
    assert [row["month"] for row in api["rows"]] == months
    assert (
        client.get("/api/v1/datasets/tiny/resources/stops/rows?month=＝A1").get_json()["total"] == 1
    )
    exported = client.get("/api/v1/datasets/tiny/resources/stops/rows.csv").data
    assert exported == storage.path(version.file("stops.csv").path).read_bytes()  # as published


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.none()
        | st.text(max_size=4)
        | st.sampled_from([*FORMULA_PREFIXES, ESCAPE]).map(lambda p: p + "1+1"),
        max_size=30,
    )
)
def test_the_escape_is_the_one_a_spreadsheet_needs_for_any_text(values: list) -> None:
    """Polars' escape gives exactly what a cell-by-cell reading of the rule gives."""
    starts = (ESCAPE, *FORMULA_PREFIXES)
    expected = [None if v is None else ESCAPE + v if v.startswith(starts) else v for v in values]

    column = pl.Series("cell", values, dtype=pl.String)
    escaped = pl.select(neutralise_formulas(pl.lit(column))).to_series().to_list()

    assert escaped == expected
    restored = pl.select(restore_formulas(pl.lit(pl.Series(escaped, dtype=pl.String))))
    assert restored.to_series().to_list() == values
