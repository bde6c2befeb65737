"""The figures audit: every number on `/`, each dataset page and the rates, recomputed by hand.

For the demo and for a dataset this test adds with only YAML, JSON and a CSV file, each
<data> element the pages show (a figure's value, its parts, the window before, each point
of a chart's table, each rate) must equal what tests/figures/audit.py computes from the
published CSV files with the csv module and plain arithmetic; every declared figure must
be on its dataset page (and on the index when it is a headline figure), with its period
written beside it, and no figure's value may show a number outside such an element.
"""

from __future__ import annotations

import dataclasses
import json
import random
import re
from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from portal import create_app
from portal.config import Config
from portal.datasets import texts
from portal.datasets.context import Portal
from portal.db import upgrade
from portal.errors import DefinitionError
from portal.models import Dataset, Role
from portal.users import create_user
from tests.figures import audit
from tests.flow import approve, run
from tests.support.demo import DemoPortals

DEMO_TODAY = date(2026, 11, 24)
OFFICER = "audit-officer@example.org"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, demo_portals: DemoPortals):  # noqa: ANN201
    config = demo_portals.copy(tmp_path_factory.mktemp("audit-demo"), DEMO_TODAY, "audit-secret")
    portal = Portal(config)
    app = create_app(config)
    yield portal, app.test_client()
    app.extensions["portal"].db.dispose()
    portal.db.dispose()


# -- the second dataset: declared with YAML and JSON only ------------------------------------

COMPLAINTS_YAML = """
name: complaints
title: Complaints about officers
family: complaints
description: Complaints received from the public, with their allegation and finding.
publisher: {name: Example City Police Department}
license: {name: ODC-PDDL-1.0, path: "https://opendatacommons.org/licenses/pddl/1-0/"}
update_frequency: monthly
resources:
  complaints: {title: Complaints received}
figures:
  - key: complaints
    label: Complaints received
    resource: complaints
    measure: {count_distinct: complaint_id}
    unit: complaints
    time: {field: received, period: month}
    window: 6
    provisional: 1
  - key: sustained_share
    label: Allegations sustained
    resource: complaints
    measure:
      ratio:
        numerator: {count: rows, where: {finding: sustained}}
        denominator: {count: rows, where: {finding: [sustained, not-sustained, exonerated]}}
    unit: share
    time: {field: received, period: quarter}
    decimals: 0
  - key: complainants
    label: People who complained, by year
    resource: complaints
    measure: {sum: complainants}
    filters: {district: [D1, D2]}
    unit: people
    time: {field: received, period: year}
    chart: {split: district}
  - key: by_allegation
    label: Complaints by allegation
    resource: complaints
    measure: {count_distinct: complaint_id}
    unit: complaints
    time: {field: received, period: month}
    window: 12
    by: allegation
  - key: days_to_close
    label: Days to close a complaint (weighted by complainants)
    resource: complaints
    measure: {weighted_mean: {value: days_to_close, weight: complainants}}
    unit: days
    time: {field: received, period: month}
    window: 3
"""
COMPLAINTS_SCHEMA = {
    "fields": [
        {"name": "complaint_id", "type": "string", "constraints": {"required": True}},
        {"name": "received", "type": "date", "constraints": {"required": True}},
        {"name": "district", "type": "string", "constraints": {"enum": ["D1", "D2", "D3"]}},
        {
            "name": "allegation",
            "type": "string",
            "constraints": {"enum": ["force", "courtesy", "search", "arrest"]},
        },
        {
            "name": "finding",
            "type": "string",
            "constraints": {"enum": ["sustained", "not-sustained", "exonerated", "open"]},
        },
        {"name": "complainants", "type": "integer", "constraints": {"minimum": 1}},
        {"name": "days_to_close", "type": "integer", "constraints": {"minimum": 0}},
    ],
    "missingValues": [""],
}
COMPLAINTS_ENTRY = """
dataset: complaints
schedule: {cron: "0 7 1 * *", timezone: America/Chicago}
cadence: P1M
resources:
  complaints:
    source: {type: file, path: imports/complaints.csv}
    columns:
      complaint_id: complaint_id
      received: {from: received, function: date}
      district: district
      allegation: allegation
      finding: finding
      complainants: {from: complainants, function: integer}
      days_to_close: {from: days_to_close, function: integer}
"""


def complaints_csv() -> str:
    draw = random.Random(18)
    lines = ["complaint_id,received,district,allegation,finding,complainants,days_to_close"]
    for n in range(260):
        month = 3 + n * 20 // 260  # March 2025 to October 2026
        year, month = 2025 + (month - 1) // 12, (month - 1) % 12 + 1
        finding = draw.choice(["sustained", "not-sustained", "exonerated", "open"])
        days = "" if finding == "open" else str(draw.randint(5, 140))
        lines.append(
            f"C-{n // 2 + 1:04d},{year}-{month:02d}-{draw.randint(1, 28):02d},"
            f"{draw.choice(['D1', 'D2', 'D3'])},{draw.choice(['force', 'courtesy', 'search'])},"
            f"{finding},{draw.randint(1, 3)},{days}"
        )
    return "\n".join(lines) + "\n"


def complaints_portal(folder: Path, declaration: str = COMPLAINTS_YAML) -> Portal:
    """A portal whose only dataset is the complaints one, its source in the data folder."""
    schemas, publishers = folder / "schemas", folder / "publishers"
    (schemas / "complaints").mkdir(parents=True)
    publishers.mkdir()
    (schemas / "complaints" / "dataset.yaml").write_text(declaration, encoding="utf-8")
    (schemas / "complaints" / "complaints.schema.json").write_text(
        json.dumps(COMPLAINTS_SCHEMA), encoding="utf-8"
    )
    (publishers / "complaints.yaml").write_text(COMPLAINTS_ENTRY, encoding="utf-8")
    config = Config.from_env(
        {},
        data_dir=folder / "data",
        database_url=f"sqlite:///{folder / 'portal.db'}",
        secret_key="audit-secret",
        testing=True,
    )
    config = dataclasses.replace(config, schemas_dir=schemas, publishers_dir=publishers)
    source = config.data_dir / "imports" / "complaints.csv"
    source.parent.mkdir(parents=True)
    source.write_text(complaints_csv(), encoding="utf-8")
    upgrade(config.database_url)
    portal = Portal(config)
    with portal.db.session() as session:
        create_user(session, OFFICER, "audit-officer-password", Role.OFFICER)
    result = run(portal, "complaints")
    assert result.status.value == "succeeded", result.error
    return portal


@pytest.fixture(scope="module")
def complaints(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    portal = complaints_portal(tmp_path_factory.mktemp("audit-complaints"))
    approve(portal, OFFICER, "complaints")
    app = create_app(portal.config)
    yield portal, app.test_client()
    app.extensions["portal"].db.dispose()
    portal.db.dispose()


def test_a_figure_that_does_not_fit_its_table_stops_the_publication(tmp_path):
    wrong = COMPLAINTS_YAML.replace("{sum: complainants}", "{sum: complainant}")
    portal = complaints_portal(tmp_path, wrong)

    with pytest.raises(DefinitionError, match="sum 'complainant' is not a field of complaints"):
        approve(portal, OFFICER, "complaints")
    with portal.db.session() as session:
        dataset = session.scalar(select(Dataset).where(Dataset.slug == "complaints"))
        assert dataset.current_version_id is None  # nothing was published
    assert not (portal.config.data_dir / "versions" / "complaints" / "v1").exists()
    portal.db.dispose()


# -- the audit ----------------------------------------------------------------------------


def _declared(portal: Portal, slug: str) -> tuple[dict, dict[str, dict]]:
    folder = portal.config.schemas_dir / slug
    # as the loader reads it: English in place, other languages' words set aside
    meta = texts.split(yaml.safe_load((folder / "dataset.yaml").read_text(encoding="utf-8")))
    schemas = {
        name: json.loads((folder / f"{name}.schema.json").read_text(encoding="utf-8"))
        for name in meta["resources"]
    }
    return meta, schemas


def _tables(client, slug: str, meta: dict) -> dict[str, list[dict]]:  # noqa: ANN001
    return {
        name: audit.read_csv(
            client.get(f"/datasets/{slug}/latest/{name}.csv").get_data(as_text=True)
        )
        for name in meta["resources"]
    }


def _check(shown: dict, want: dict, where: str) -> None:
    """One <data> element against the recomputed figure it names."""
    unit, digits = want["unit"], want["digits"]
    part, key, window = shown.get("data-part"), shown.get("data-key"), shown.get("data-window")
    if key is not None:
        series = shown.get("data-series")
        assert (key, series) in want["points"], (
            f"{where}: {key}/{series} is not a period or category"
        )
        exact = want["points"][(key, series)]
    elif window == "previous":
        exact = want["previous"]
    elif part in ("numerator", "denominator", "responses"):
        exact, unit, digits = want[part], "count", 0
    elif part in ("low", "high"):
        exact = want[part]
    else:
        exact = want["value"]
    assert audit.close(shown["value"], exact, unit, digits), f"{where}: {shown} vs {exact}"
    if part not in ("numerator", "denominator", "responses", "low", "high"):
        assert shown["text"] == audit.written(exact, unit, digits), f"{where}: {shown} vs {exact}"
    else:
        assert float(shown["value"]) == pytest.approx(float(shown["text"].replace(",", "")))


def audit_site(portal: Portal, client, slugs: list[str]) -> int:  # noqa: ANN001
    """Audit `/` and the dataset pages of `slugs`; return how many numbers were checked."""
    wanted, headline = {}, set()
    for slug in slugs:
        meta, schemas = _declared(portal, slug)
        for key, want in audit.expected(meta, schemas, _tables(client, slug, meta)).items():
            wanted[(slug, key)] = want
            if want["spec"].get("headline", True):
                headline.add((slug, key))
    checked = 0
    index = client.get("/").get_data(as_text=True)
    pages = {"/": index} | {
        f"/datasets/{slug}/": client.get(f"/datasets/{slug}/").get_data(as_text=True)
        for slug in slugs
    }
    for path, page in pages.items():
        slug_of = dict.fromkeys((k for _, k in wanted), None)
        for slug, key in wanted:
            slug_of[key] = slug_of[key] or slug
        for shown in audit.shown_numbers(page):
            if "data-figure" not in shown:
                continue
            key = shown["data-figure"]
            slug = path.split("/")[2] if path != "/" else slug_of.get(key)
            assert (slug, key) in wanted, f"{path}: a number for an undeclared figure {key!r}"
            _check(shown, wanted[(slug, key)], f"{path} {key}")
            checked += 1
        for slug, key in wanted:
            on_page = f'id="figure-{key}"' in page
            if path == "/":
                assert on_page == ((slug, key) in headline), f"/ and headline figure {key}"
            elif path == f"/datasets/{slug}/":
                assert on_page, f"{path} lacks the figure {key}"
            if not on_page:
                continue
            block = page.split(f'id="figure-{key}"')[1].split('<div class="figure"')[0]
            block = block.split("</dl>")[0]
            want = wanted[(slug, key)]
            assert f'<span class="period">{want["period"]}' in block, f"{path} {key} period"
            assert audit.loose_numbers(block) == [], f"{path} {key} shows an unchecked number"
    return checked


def test_every_number_on_the_demo_pages_matches_a_recomputation_from_its_files(demo):
    portal, client = demo
    slugs = ["use-of-force", "body-worn-cameras", "resource-allocation", "community-trust"]

    checked = audit_site(portal, client, slugs)

    assert checked > 300  # figures, their parts and every point of every chart's table


def test_a_dataset_declared_in_yaml_alone_passes_the_same_audit(complaints):
    portal, client = complaints

    checked = audit_site(portal, client, ["complaints"])
    page = client.get("/datasets/complaints/").get_data(as_text=True)

    assert checked > 40
    assert "People who complained, by year" in page and "District 1" in page  # split series
    assert '<figure class="chart" id="chart-by_allegation">' in page  # per category


# -- rates ----------------------------------------------------------------------------------


def _figure_rows(portal: Portal, client, slug: str, key: str):  # noqa: ANN001, ANN202
    meta, schemas = _declared(portal, slug)
    spec = next(f for f in meta["figures"] if f["key"] == key)
    rows = _tables(client, slug, meta)[spec["resource"]]
    rows = [r for r in rows if audit._keep(r, audit._values(spec.get("filters")))]
    time = spec["time"]
    kind = {f["name"]: f.get("type") for f in schemas[spec["resource"]]["fields"]}[time["field"]]
    keyed = [(audit.key_of(r[time["field"]], kind, time["period"]), r) for r in rows]
    return spec, [(k, r) for k, r in keyed if k], meta


def _over(spec: dict, keyed: list, keys: set[str]) -> float:
    return audit.measure([r for k, r in keyed if k in keys], spec["measure"])[0]


def test_rates_match_a_recomputation_and_show_both_sides_with_periods_and_source(demo):
    portal, client = demo
    rates = {r["key"]: r for r in client.get("/api/v1/rates").get_json()["rates"]}
    index = client.get("/").get_data(as_text=True)
    on_pages = [shown for shown in audit.shown_numbers(index) if "data-rate" in shown]

    # Use of force per 1,000 calls: the months both tables cover, the figure's own window.
    force, incidents, _ = _figure_rows(portal, client, "use-of-force", "incidents")
    calls_spec, calls, _ = _figure_rows(portal, client, "resource-allocation", "calls")
    months = sorted({k for k, _ in incidents})
    covered = {k for k, _ in calls}
    common = [m for m in audit.window_of(months, "month", 0) if m in covered]
    window = [m for m in audit.window_of(common, "month", force["window"]) if m in covered]
    top, bottom = _over(force, incidents, set(window)), _over(calls_spec, calls, set(window))
    rate = rates["use_of_force_per_1000_calls"]
    head = rate["headline"]
    assert (head["numerator"], head["denominator"]) == (top, bottom)
    assert head["value"] == round(top / bottom * 1000, 2)
    assert head["period"] == head["denominator_period"] == audit.span(window, "month")
    by_year: dict[str, list[str]] = {}
    for m in common:
        by_year.setdefault(m[:4], []).append(m)
    assert [(r["year"], r["numerator"], r["denominator"]) for r in rate["rows"]] == [
        (int(y), _over(force, incidents, set(ms)), _over(calls_spec, calls, set(ms)))
        for y, ms in sorted(by_year.items())
    ]
    # ... the same count as the incidents figure on the index, over the same window
    figures = {f["key"]: f for f in client.get("/api/v1/").get_json()["figures"]["use-of-force"]}
    assert figures["incidents"]["value"] == top and figures["incidents"]["period"] == head["period"]

    # Sworn officers per 1,000 residents: each snapshot against that year's population.
    sworn, staffing, meta = _figure_rows(portal, client, "resource-allocation", "sworn_filled")
    population = meta["denominators"]["population"]
    rate = rates["sworn_per_1000_residents"]
    for row in rate["rows"]:
        day = next(k for k, _ in staffing if audit.words(k, "snapshot") == row["period"])
        count = _over(sworn, staffing, {day})
        residents = population["values"][int(day[:4])]
        assert (row["numerator"], row["denominator"]) == (count, residents)
        assert row["value"] == round(count / residents * 1000, 2)
        assert row["denominator_period"] == day[:4]
    assert len(rate["rows"]) == len({k for k, _ in staffing})
    assert rate["denominator"]["source"] == population["source"].strip()

    # The index shows each headline with both sides, their periods and the source.
    for shown in on_pages:
        rate = rates[shown["data-rate"]]
        row = rate["headline"]
        if shown.get("data-key"):
            row = next(r for r in rate["rows"] if r["period"] == shown["data-key"])
        part = shown.get("data-part")
        value = row[part] if part else row["value"]
        assert float(shown["value"]) == pytest.approx(value), shown
        assert shown["text"] == (row[f"{part}_display"] if part else row["display"])
    assert len(on_pages) >= 2 * 3 * (1 + 4)
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", index))
    assert "source: U.S. Census Bureau" in words
    assert (
        f"{rates['sworn_per_1000_residents']['headline']['denominator_display']} residents, 2026"
        in words
    )


def test_the_trust_page_shows_the_index_the_figures_engine_computed(demo):
    _, client = demo
    figure = next(
        f
        for f in client.get("/api/v1/").get_json()["figures"]["community-trust"]
        if f["key"] == "trust_index"
    )
    trust = client.get("/api/v1/trust").get_json()
    page = client.get("/trust/").get_data(as_text=True)

    assert figure["period"] == "Q3 2026" and figure["display"] == f"{figure['value']:.1f}"
    assert (trust["index"]["value"], trust["index"]["responses"]) == (
        figure["value"],
        figure["responses"],
    )
    assert f'<strong class="trust-index">{figure["display"]}</strong>' in page
    low, high = figure["interval"]["low"], figure["interval"]["high"]
    assert f'<span class="trust-ci">{low:.1f} to {high:.1f}</span>' in page
    assert f'<span class="trust-responses">{figure["responses"]:,}</span>' in page


def test_the_feed_says_the_same_headline_figures_as_the_pages(demo):
    _, client = demo
    figures = client.get("/api/v1/").get_json()["figures"]
    feed = client.get("/datasets/use-of-force/feed.atom").get_data(as_text=True)

    incidents = next(f for f in figures["use-of-force"] if f["key"] == "incidents")
    assert f"Use-of-force incidents: {incidents['display']} ({incidents['period']})" in feed
