"""Parquet downloads: typed by the table schema, recorded and served like every other file."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date

import polars as pl

from portal.storage import LocalStorage
from tests.support.published import served_portal, served_version

PARQUET = "application/vnd.apache.parquet"


def test_each_table_has_a_parquet_file_with_the_rows_of_its_csv(served_v1):
    client, version, portal = served_v1, served_version(served_v1), served_portal(served_v1)
    schema = {r.name: r.table_schema for r in portal.definition("use-of-force").resources}[
        "incidents"
    ]

    response = client.get("/datasets/use-of-force/v1/incidents.parquet")
    text = client.get("/datasets/use-of-force/v1/incidents.csv").get_data(as_text=True)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == PARQUET
    recorded = version.file("incidents.parquet")
    assert recorded.media_type == PARQUET
    assert recorded.sha256 == hashlib.sha256(response.data).hexdigest()
    assert recorded.size == len(response.data)
    stored = LocalStorage(portal.config.data_dir).path(recorded.path)
    assert stored.read_bytes() == response.data
    table = pl.read_parquet(io.BytesIO(response.data))
    assert table.schema["incident_date"] == pl.Date
    assert table.schema["subject_number"] == pl.Int64
    assert table.schema["officer_injured"] == pl.Boolean
    assert table.schema["district"] == pl.String
    rows = list(csv.DictReader(io.StringIO(text)))
    assert table.columns == list(rows[0])
    assert recorded.row_count == table.height == len(rows)
    types = {f["name"]: f.get("type", "string") for f in schema["fields"]}
    assert table.rows(named=True) == [_typed(row, types) for row in rows]


def test_every_table_of_a_version_gets_one(served_v1):
    client, version = served_v1, served_version(served_v1)

    parquet = sorted(f.filename for f in version.files if f.media_type == PARQUET)

    assert parquet == ["incidents.parquet", "monthly-summary.parquet"]
    latest = client.get("/datasets/use-of-force/latest/monthly-summary.parquet")
    assert (
        pl.read_parquet(io.BytesIO(latest.data)).height
        == version.file("monthly-summary.csv").row_count
    )


def _typed(row: dict[str, str], types: dict[str, str]) -> dict[str, object]:
    """A CSV row read by hand the way the table schema says (empty cells are missing)."""
    parse = {
        "integer": int,
        "number": float,
        "boolean": lambda text: text == "true",
        "date": date.fromisoformat,
    }
    return {
        name: None if text == "" else parse.get(types[name], str)(text)
        for name, text in row.items()
    }
