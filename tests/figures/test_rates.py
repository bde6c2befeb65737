"""Rates with context: each matches a recomputation from the published CSV files."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from pathlib import Path

import pytest

from portal.config import Config
from tests.conftest import DEMO_UNTIL
from tests.flow import publish


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> Config:
    """The shipped dataset definitions (the rates read use of force, cameras and resources)."""
    return Config.from_env(
        {},
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret-key",
        testing=True,
    )


@pytest.fixture
def published(portal, officer, uof_source) -> None:
    from portal.demo import body_worn_cameras, resource_allocation

    sources = portal.config.data_dir / "demo-sources"
    body_worn_cameras.generate(sources / "body-worn-cameras", until=DEMO_UNTIL)
    resource_allocation.generate(sources / "resource-allocation", until=DEMO_UNTIL)
    for slug in ("use-of-force", "body-worn-cameras", "resource-allocation"):
        publish(portal, officer, slug)


def _rows(client, slug: str, resource: str) -> list[dict[str, str]]:
    text = client.get(f"/datasets/{slug}/latest/{resource}.csv").get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(text)))


def _per(numerator: int, denominator: int, per: int) -> float:
    return round(numerator / denominator * per, 2)


def test_rates_match_a_recomputation_from_the_published_files_and_are_shown(client, published):
    rates = {r["key"]: r for r in client.get("/api/v1/rates").get_json()["rates"]}

    calls = _rows(client, "resource-allocation", "calls-for-service")
    incidents = _rows(client, "use-of-force", "incidents")
    incident_months = [row["incident_date"][:7] for row in incidents]
    months = {r["month"][:7] for r in calls} & {
        m for m in incident_months if min(incident_months) <= m <= max(incident_months)
    }
    called, seen = defaultdict(int), defaultdict(set)
    for row in calls:
        if row["month"][:7] in months:
            for district in (row["district"], "all"):
                called[(int(row["month"][:4]), district)] += int(row["calls"])
    for row in incidents:
        if row["incident_date"][:7] in months:
            for district in (row["district"], "all"):
                seen[(int(row["incident_date"][:4]), district)].add(row["incident_id"])
    force = rates["use_of_force_per_1000_calls"]
    assert {
        (r["year"], r["district"]): (r["numerator"], r["denominator"], r["value"])
        for r in force["rows"]
    } == {
        key: (len(seen[key]), total, _per(len(seen[key]), total, 1000))
        for key, total in called.items()
    }
    assert [(v["dataset"], v["version"]) for v in force["versions"]] == [
        ("resource-allocation", 1),
        ("use-of-force", 1),
    ]
    assert (
        force["numerator"]["sha256"]
        == client.get("/datasets/use-of-force/latest/incidents.csv").headers["X-Content-SHA256"]
    )

    sworn = defaultdict(int)
    for row in _rows(client, "resource-allocation", "staffing"):
        if row["employee_type"] == "sworn":
            sworn[row["as_of"]] += int(row["filled_positions"])
    officers = rates["sworn_officers_per_1000_residents"]
    assert officers["denominator"]["value"] == 612000
    assert {r["as_of"]: r["value"] for r in officers["rows"]} == {
        day: _per(n, 612000, 1000) for day, n in sworn.items()
    }

    made, required = defaultdict(int), defaultdict(int)
    for row in _rows(client, "body-worn-cameras", "monthly-usage"):
        made[int(row["month"][:4])] += int(row["activations_made"])
        required[int(row["month"][:4])] += int(row["activations_required"])
    cameras = rates["camera_activation_compliance"]
    assert {r["year"]: r["value"] for r in cameras["rows"]} == {
        year: _per(made[year], required[year], 100) for year in required
    }

    # The summary and the dataset pages show them beside their counts.
    headline = rates["use_of_force_per_1000_calls"]["headline"]

    index = client.get("/").get_data(as_text=True)
    force_page = client.get("/datasets/use-of-force/").get_data(as_text=True)
    cameras_page = client.get("/datasets/body-worn-cameras/").get_data(as_text=True)

    assert "Rates with context" in index
    assert f"<strong>{headline['value']}</strong> per 1,000 calls for service" in index
    assert f"{headline['numerator']:,} use-of-force incidents" in index
    assert "Use-of-force incidents per 1,000 calls for service" in force_page
    assert "Camera activations made when policy required one" not in force_page
    assert "Camera activations made when policy required one</h3>" in cameras_page
