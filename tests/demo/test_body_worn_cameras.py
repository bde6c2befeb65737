"""The body-worn-camera demo source: a Windows-1252 semicolon export, mapped by its entry."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from frictionless import Report

from portal.demo import body_worn_cameras

from . import (
    dataset_metadata,
    map_and_validate,
    publisher_entry,
    read_source,
    schema_problems,
)

SLUG = "body-worn-cameras"
UNTIL = date(2026, 11, 24)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("data")
    body_worn_cameras.generate(data / "demo-sources" / SLUG, until=UNTIL)
    return data


@pytest.fixture(scope="module")
def mapped(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[pl.DataFrame, Report]:
    workdir = tmp_path_factory.mktemp("mapped")
    return map_and_validate(data_dir, SLUG, "monthly-usage", workdir)


@pytest.fixture(scope="module")
def usage(mapped: tuple[pl.DataFrame, Report]) -> pl.DataFrame:
    return mapped[0]


def test_mapped_export_satisfies_the_schema(mapped: tuple[pl.DataFrame, Report]) -> None:
    table, report = mapped

    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]
    assert report.tasks[0].stats["rows"] == table.height > 0


def test_same_until_and_seed_give_the_same_bytes(tmp_path: Path) -> None:
    first = body_worn_cameras.generate(tmp_path / "a", until=UNTIL)["monthly-usage"]
    second = body_worn_cameras.generate(tmp_path / "b", until=UNTIL)["monthly-usage"]
    other_seed = body_worn_cameras.generate(tmp_path / "c", until=UNTIL, seed=7)["monthly-usage"]

    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() != other_seed.read_bytes()


def test_any_day_of_a_month_gives_the_same_bytes(tmp_path: Path) -> None:
    early = body_worn_cameras.generate(tmp_path / "early", until=date(2026, 11, 2))
    late = body_worn_cameras.generate(tmp_path / "late", until=date(2026, 11, 30))

    assert early["monthly-usage"].read_bytes() == late["monthly-usage"].read_bytes()


def test_a_later_until_appends_months_and_keeps_earlier_rows(tmp_path: Path) -> None:
    october = body_worn_cameras.generate(tmp_path / "oct", until=date(2026, 10, 3))
    november = body_worn_cameras.generate(tmp_path / "nov", until=date(2026, 11, 24))

    earlier = october["monthly-usage"].read_bytes()
    later = november["monthly-usage"].read_bytes()
    assert later.startswith(earlier)
    assert b";2026-10-01;" in later[len(earlier) :]


def test_export_is_windows_1252_semicolon_separated_with_crlf(data_dir: Path) -> None:
    raw = (data_dir / "demo-sources" / SLUG / body_worn_cameras.FILE_NAME).read_bytes()

    text = raw.decode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert b"District 1 \x96 Patrol;" in raw  # the en dash, as Windows-1252 writes it
    assert text.startswith("Unit;Period Start;Period End;Cams Deployed;")
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")


def test_publisher_entry_reads_the_generated_file(data_dir: Path, tmp_path: Path) -> None:
    resource = publisher_entry(SLUG)["resources"]["monthly-usage"]
    source = read_source(data_dir, SLUG, "monthly-usage", tmp_path)

    assert (data_dir / resource["source"]["path"]).is_file()
    assert set(resource["never_publish"]) <= set(source.columns)
    unit_names = set(resource["columns"]["unit"]["values"])
    assert set(source["Unit"]) == unit_names


def test_mapped_export_covers_at_least_36_months_up_to_the_month_before_until(
    usage: pl.DataFrame,
) -> None:
    months = sorted(set(usage["month"]))

    assert len(months) >= 36
    assert months[-1] == "2026-10"
    assert usage.height == len(months) * len(body_worn_cameras.UNITS)


def test_mapped_figures_are_consistent(usage: pl.DataFrame) -> None:
    broken = usage.filter(
        (pl.col("activations_made") > pl.col("activations_required"))
        | (
            pl.col("missed_activations")
            != pl.col("activations_required") - pl.col("activations_made")
        )
        | (pl.col("late_activations") > pl.col("activations_made"))
        | (pl.col("officers_equipped") > pl.col("cameras_deployed"))
        | (
            pl.col("footage_requests_fulfilled") + pl.col("footage_requests_denied")
            > pl.col("footage_requests_received")
        )
        | (pl.col("median_days_to_fulfil").is_null() != (pl.col("footage_requests_fulfilled") == 0))
    )

    assert broken.is_empty(), broken
    assert usage["median_days_to_fulfil"].null_count() > 0  # months with nothing fulfilled exist


def test_activation_compliance_improves_from_about_80_to_about_95_percent(
    usage: pl.DataFrame,
) -> None:
    by_month = (
        usage.group_by("month")
        .agg(pl.col("activations_made").sum() / pl.col("activations_required").sum())
        .sort("month")
    )
    compliance = by_month["activations_made"]

    assert 0.78 <= compliance.head(6).mean() <= 0.84
    assert 0.93 <= compliance.tail(6).mean() <= 0.97


def test_schema_and_dataset_metadata_are_valid() -> None:
    assert schema_problems(SLUG, "monthly-usage") == []
    metadata = dataset_metadata(SLUG)
    assert metadata["name"] == SLUG
    assert (
        set(metadata["resources"]) == set(publisher_entry(SLUG)["resources"]) == {"monthly-usage"}
    )
    assert metadata["license"]["name"] == "ODC-PDDL-1.0"
