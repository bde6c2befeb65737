"""The resource-allocation demo sources: a finance workbook and a CAD API response."""

from __future__ import annotations

import json
import zipfile
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from frictionless import Report
from python_calamine import CalamineWorkbook

from portal.demo import resource_allocation

from . import dataset_metadata, map_and_validate, publisher_entry, schema_problems

SLUG = "resource-allocation"
UNTIL = date(2026, 11, 24)
RESOURCES = ("budget", "staffing", "calls-for-service")
SWORN_RANKS = {"chief", "deputy-chief", "commander", "captain", "lieutenant", "sergeant",
               "detective", "officer"}  # fmt: skip


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("data")
    resource_allocation.generate(data / "demo-sources" / SLUG, until=UNTIL)
    return data


@pytest.fixture(scope="module")
def mapped(
    data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[pl.DataFrame, Report]]:
    workdir = tmp_path_factory.mktemp("mapped")
    return {
        resource: map_and_validate(data_dir, SLUG, resource, workdir / resource)
        for resource in RESOURCES
    }


@pytest.fixture(scope="module")
def tables(mapped: dict[str, tuple[pl.DataFrame, Report]]) -> dict[str, pl.DataFrame]:
    return {resource: table for resource, (table, _report) in mapped.items()}


@pytest.mark.parametrize("resource", RESOURCES)
def test_mapped_sources_satisfy_the_schemas(
    mapped: dict[str, tuple[pl.DataFrame, Report]], resource: str
) -> None:
    table, report = mapped[resource]

    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]
    assert report.tasks[0].stats["rows"] == table.height > 0


def test_same_until_and_seed_give_the_same_bytes(tmp_path: Path) -> None:
    first = resource_allocation.generate(tmp_path / "a", until=UNTIL)
    second = resource_allocation.generate(tmp_path / "b", until=UNTIL)
    other_seed = resource_allocation.generate(tmp_path / "c", until=UNTIL, seed=7)

    for resource in RESOURCES:
        assert first[resource].read_bytes() == second[resource].read_bytes()
        assert first[resource].read_bytes() != other_seed[resource].read_bytes()


def test_workbook_carries_no_wall_clock_time(data_dir: Path) -> None:
    path = data_dir / "demo-sources" / SLUG / resource_allocation.WORKBOOK_NAME

    with zipfile.ZipFile(path) as archive:
        stamps = {member.date_time for member in archive.infolist()}
        core = archive.read("docProps/core.xml").decode("utf-8")
    assert stamps == {(2026, 11, 1, 6, 0, 0)}
    assert core.count("2026-11-01T06:00:00Z") == 2  # created and modified


def test_any_day_of_a_month_gives_the_same_bytes(tmp_path: Path) -> None:
    early = resource_allocation.generate(tmp_path / "early", until=date(2026, 11, 2))
    late = resource_allocation.generate(tmp_path / "late", until=date(2026, 11, 30))

    for resource in RESOURCES:
        assert early[resource].read_bytes() == late[resource].read_bytes()


def test_sources_are_a_workbook_with_two_sheets_and_an_api_response(data_dir: Path) -> None:
    folder = data_dir / "demo-sources" / SLUG
    workbook = CalamineWorkbook.from_path(str(folder / resource_allocation.WORKBOOK_NAME))
    response = json.loads((folder / resource_allocation.CALLS_NAME).read_text(encoding="utf-8"))

    assert workbook.sheet_names == ["Budget", "Staffing"]
    assert workbook.get_sheet_by_name("Budget").to_python()[0][:2] == ["Fiscal Year", "Bureau Code"]
    assert set(response) == {"meta", "data"}
    records = response["data"]["records"]
    assert response["meta"]["totalRecords"] == len(records) > 0
    assert set(records[0]) == {"callMonth", "districtCode", "priorityCode", "callCount",
                               "medianRespMin", "p90RespMin"}  # fmt: skip


def test_publisher_entry_paths_name_the_generated_files(tmp_path: Path) -> None:
    written = resource_allocation.generate(tmp_path / "demo-sources" / SLUG, until=UNTIL)
    entry = publisher_entry(SLUG)

    for resource in RESOURCES:
        assert tmp_path / entry["resources"][resource]["source"]["path"] == written[resource]


def test_budget_has_several_fiscal_years_and_no_actuals_for_the_year_in_progress(
    tables: dict[str, pl.DataFrame],
) -> None:
    budget = tables["budget"]
    years = sorted(set(budget["fiscal_year"]))
    missing = budget.filter(pl.col("actual_amount").is_null())

    assert len(years) >= 5
    assert years[-1] == resource_allocation.current_fiscal_year(UNTIL) == 2027
    assert set(missing["fiscal_year"]) == {2027}
    assert missing.height == budget.filter(pl.col("fiscal_year") == 2027).height
    shares = budget.group_by("expense_category").agg(pl.col("adopted_amount").sum())
    assert shares.sort("adopted_amount")["expense_category"][-1] == "personnel"


def test_staffing_is_a_31_october_snapshot_with_consistent_ranks(
    tables: dict[str, pl.DataFrame],
) -> None:
    staffing = tables["staffing"]

    assert set(staffing["as_of"].str.slice(5)) == {"10-31"}
    assert staffing.filter(pl.col("filled_positions") > pl.col("authorised_positions")).is_empty()
    sworn = staffing.filter(pl.col("employee_type") == "sworn")
    assert set(sworn["rank"]) == SWORN_RANKS
    assert set(staffing["rank"]) - SWORN_RANKS == {"civilian-professional", "civilian-support"}
    latest = staffing.filter(pl.col("as_of") == "2026-10-31")
    population = dataset_metadata(SLUG)["denominators"]["population"]["values"][2026]
    per_thousand = sworn.filter(pl.col("as_of") == "2026-10-31")["filled_positions"].sum() / (
        population / 1000
    )
    assert 1.5 < per_thousand < 3.5  # US cities of this size have about 2 officers per 1,000
    assert latest["filled_positions"].sum() < latest["authorised_positions"].sum()


def test_calls_are_seasonal_with_rare_p1_and_right_skewed_response_times(
    tables: dict[str, pl.DataFrame],
) -> None:
    calls = tables["calls-for-service"]
    p1_share = calls.filter(pl.col("priority") == "P1")["calls"].sum() / calls["calls"].sum()
    by_month = calls.group_by("month").agg(pl.col("calls").sum())
    july = by_month.filter(pl.col("month").str.ends_with("-07"))["calls"]
    january = by_month.filter(pl.col("month").str.ends_with("-01"))["calls"]

    assert 0 < p1_share < 0.02
    assert july.min() > january.max()
    assert calls.filter(
        pl.col("p90_response_minutes") < pl.col("median_response_minutes")
    ).is_empty()
    skew = calls["p90_response_minutes"].sum() / calls["median_response_minutes"].sum()
    assert skew > 2
    assert sorted(set(calls["district"])) == ["D1", "D2", "D3", "D4", "D5", "D6"]
    assert calls["month"].max() == "2026-10"
    assert calls["month"].n_unique() >= 36


def test_a_later_until_keeps_earlier_calls_as_they_were(tmp_path: Path) -> None:
    october = resource_allocation.generate(tmp_path / "oct", until=date(2026, 10, 3))
    november = resource_allocation.generate(tmp_path / "nov", until=UNTIL)

    earlier = json.loads(october["calls-for-service"].read_text(encoding="utf-8"))
    later = json.loads(november["calls-for-service"].read_text(encoding="utf-8"))
    records = earlier["data"]["records"]
    assert later["data"]["records"][: len(records)] == records
    assert later["data"]["records"][-1]["callMonth"] == "2026-10"


@pytest.mark.parametrize("resource", RESOURCES)
def test_schemas_are_valid_table_schemas(resource: str) -> None:
    assert schema_problems(SLUG, resource) == []


def test_dataset_metadata_names_every_resource_and_the_population_by_year() -> None:
    metadata = dataset_metadata(SLUG)
    population = metadata["denominators"]["population"]

    assert metadata["name"] == SLUG
    assert set(metadata["resources"]) == set(publisher_entry(SLUG)["resources"]) == set(RESOURCES)
    assert population["source"] and population["label"] == "residents"
    assert all(isinstance(v, int) and v > 0 for v in population["values"].values())
    assert set(population["values"]) >= {2022, 2023, 2024, 2025, 2026}  # every staffing year
