"""`portal demo`: every dataset published from its own source format, one left to review."""

from __future__ import annotations

import csv
from datetime import date

from sqlalchemy import select

from portal.demo import load_demo
from portal.models import Candidate, CandidateStatus, Dataset, Version
from portal.releases.review import pending_candidates
from portal.storage import LocalStorage

TODAY = date(2026, 11, 24)
RESOURCES = {
    "use-of-force": {"incidents", "monthly-summary"},
    "body-worn-cameras": {"monthly-usage"},
    "resource-allocation": {"budget", "staffing", "calls-for-service"},
    "community-trust": {"district-quarterly", "language-quarterly"},
}


def test_demo_publishes_every_dataset_and_leaves_one_candidate(portal, client):
    lines = list(load_demo(portal, today=TODAY))

    assert not [line for line in lines if "failed" in line], lines
    with portal.db.session() as session:
        datasets = {d.slug: d for d in session.scalars(select(Dataset))}
        assert set(datasets) == set(RESOURCES)
        for slug, resources in RESOURCES.items():
            version = session.get(Version, datasets[slug].current_version_id)
            assert version.number == 1
            assert {f.resource_name for f in version.files if f.resource_name} == resources
        pending = pending_candidates(session)
        assert [c.dataset.slug for c in pending] == ["use-of-force"]
    for slug in RESOURCES:
        assert client.get(f"/datasets/{slug}/").status_code == 200
    assert client.get("/office/").status_code == 302  # the office still needs a login


def test_demo_is_idempotent(portal):
    list(load_demo(portal, today=TODAY))
    again = list(load_demo(portal, today=TODAY))

    assert sorted(line for line in again if "already published" in line) == sorted(
        f"{slug}: already published" for slug in RESOURCES
    )
    with portal.db.session() as session:
        assert session.query(Version).count() == len(RESOURCES)
        candidates = session.scalars(select(Candidate)).all()
        assert [c.status for c in candidates].count(CandidateStatus.PENDING) == 1


def _rows(portal, slug: str, resource: str) -> list[dict]:
    with portal.db.session() as session:
        dataset = session.scalar(select(Dataset).where(Dataset.slug == slug))
        file = session.get(Version, dataset.current_version_id).file(f"{resource}.csv")
        path = LocalStorage(portal.config.data_dir).path(file.path)
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_index_figures_match_a_recomputation_from_the_published_files(portal, client):
    list(load_demo(portal, today=TODAY))
    figures = {
        f["key"]: f for figs in client.get("/api/v1/").json["figures"].values() for f in figs
    }

    incidents = _rows(portal, "use-of-force", "incidents")
    last = max(r["incident_date"] for r in incidents)[:7]
    year, month = int(last[:4]), int(last[5:7])
    window = {
        f"{(year * 12 + month - 1 - k) // 12}-{(year * 12 + month - 1 - k) % 12 + 1:02d}"
        for k in range(12)
    }
    assert figures["incidents"]["value"] == len(
        {r["incident_id"] for r in incidents if r["incident_date"][:7] in window}
    )

    usage = _rows(portal, "body-worn-cameras", "monthly-usage")
    months = sorted({r["month"] for r in usage})[-12:]
    made = sum(int(r["activations_made"]) for r in usage if r["month"] in months)
    required = sum(int(r["activations_required"]) for r in usage if r["month"] in months)
    assert figures["activation_compliance"]["value"] == round(made / required, 3)  # 93.7%

    budget = _rows(portal, "resource-allocation", "budget")
    latest = max(int(r["fiscal_year"]) for r in budget)
    adopted = sum(float(r["adopted_amount"]) for r in budget if int(r["fiscal_year"]) == latest)
    assert figures["adopted_budget"]["value"] == round(adopted)

    page = client.get("/").get_data(as_text=True)
    assert f">{figures['incidents']['value']:,}</data>" in page
    assert f"{made / required * 100:.1f}%" in page
