"""Survey answers become the community-trust dataset: aggregated, suppressed, reviewed, indexed."""

from __future__ import annotations

import csv
import math
import re
import statistics
from pathlib import Path

import yaml
from sqlalchemy import select

from portal.community import trust
from portal.community.models import SurveyResponse
from portal.models import Candidate, CandidateStatus, Dataset
from portal.storage import LocalStorage
from tests.community.conftest import QUARTER_SIZES
from tests.flow import approve, run

PUBLISHERS = Path(__file__).resolve().parents[2] / "publishers"


def _published_rows(portal, version) -> list[dict]:
    path = LocalStorage(portal.config.data_dir).path(version.file("district-quarterly.csv").path)
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _personal_scores(portal, survey_id: int, quarter: str, district: str) -> list[float]:
    with portal.db.session() as session:
        responses = session.scalars(
            select(SurveyResponse).where(
                SurveyResponse.survey_id == survey_id,
                SurveyResponse.quarter == quarter,
                SurveyResponse.district == district,
            )
        ).all()
        return [statistics.fmean(a.score for a in r.answers) * 10 for r in responses]


def test_a_run_stages_a_candidate_that_waits_for_a_records_officer(portal, answered, officer):
    result = run(portal, "community-trust")

    assert result.status.value == "succeeded", result.error
    with portal.db.session() as session:
        dataset = session.scalar(select(Dataset).where(Dataset.slug == "community-trust"))
        assert dataset.current_version_id is None  # never published automatically
        candidate = session.scalar(select(Candidate).where(Candidate.run_id == result.id))
        assert candidate.status == CandidateStatus.PENDING
    assert result.report["privacy"]["district-quarterly"]["suppressed"]["primary"] == 1

    version = approve(portal, officer, "community-trust")
    assert version.number == 1


def test_district_rows_carry_estimates_only_from_50_responses_and_counts_from_10(
    portal, published_trust, answered
):
    rows = {(r["quarter"], r["district"]): r for r in _published_rows(portal, published_trust)}

    assert set(rows) == {("2026-Q3", d) for d in QUARTER_SIZES} | {
        ("2026-Q2", "D1"),
        ("2026-Q2", "D2"),
    }
    big = rows[("2026-Q3", "D1")]
    scores = _personal_scores(portal, answered.id, "2026-Q3", "D1")
    assert big["responses"] == "120" and big["suppressed"] == "false"
    assert float(big["trust_index"]) == round(statistics.fmean(scores), 2)
    assert math.isclose(float(big["index_sd"]), statistics.stdev(scores), abs_tol=0.006)
    margin = 1.96 * float(big["index_sd"]) / math.sqrt(120)
    assert math.isclose(float(big["ci_low"]), float(big["trust_index"]) - margin, abs_tol=0.02)
    assert math.isclose(float(big["ci_high"]), float(big["trust_index"]) + margin, abs_tol=0.02)
    # 20 responses: the count is published, the estimate is not.
    few = rows[("2026-Q3", "D3")]
    assert few["responses"] == "20" and few["suppressed"] == "false"
    assert few["trust_index"] == few["ci_low"] == few["trust_score"] == ""
    # 5 responses: suppressed; 12 (the next smallest) goes with it, so no total gives it away.
    for district in ("D4", "D5"):
        row = rows[("2026-Q3", district)]
        assert row["suppressed"] == "true"
        assert row["responses"] == row["trust_index"] == row["index_sd"] == ""
    # The resident who skipped statements counts once in the quarter's responses.
    assert rows[("2026-Q2", "D2")]["responses"] == "56"


def test_trust_figures_on_the_site_match_a_recomputation_from_the_published_file(
    portal, published_trust, client
):
    rows = _published_rows(portal, published_trust)
    expected = {}
    for quarter in sorted({r["quarter"] for r in rows}):
        usable = [r for r in rows if r["quarter"] == quarter and r["trust_index"]]
        n = [int(r["responses"]) for r in usable]
        mean = [float(r["trust_index"]) for r in usable]
        sd = [float(r["index_sd"]) for r in usable]
        total = sum(n)
        index = sum(a * b for a, b in zip(n, mean, strict=True)) / total
        squares = sum(
            (k - 1) * s * s + k * (m - index) ** 2 for k, m, s in zip(n, mean, sd, strict=True)
        )
        margin = 1.96 * math.sqrt(squares / (total - 1)) / math.sqrt(total)
        expected[quarter] = (
            round(index, 1),
            round(index - margin, 1),
            round(index + margin, 1),
            total,
        )

    figures = client.get("/api/v1/").json["figures"]["community-trust"]
    (figure,) = [f for f in figures if f["key"] == "trust_index"]
    got = {
        q["quarter"]: (q["value"], q["ci_low"], q["ci_high"], q["responses"])
        for q in client.get("/api/v1/trust").json["trend"]
    }
    assert got == expected
    assert expected["2026-Q3"][3] == 180  # D1 and D2: the only rows with an estimate

    value, low, high, responses = expected["2026-Q3"]
    interval = figure["interval"]
    assert (figure["value"], interval["low"], interval["high"]) == (value, low, high)
    assert (figure["responses"], figure["period"]) == (responses, "Q3 2026")
    assert client.get("/api/v1/trust").json["index"]["value"] == value
    page = client.get("/trust/").get_data(as_text=True)
    assert re.search(rf'class="trust-index">{value:.1f}<', page)
    assert f'class="trust-ci">{low:.1f} to {high:.1f}<' in page
    assert f'class="trust-responses">{responses}<' in page
    summary = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", client.get("/").get_data(as_text=True)))
    assert f"{value:.1f} (95 % interval {low:.1f} to {high:.1f}, {responses} responses)" in summary
    assert figure["series"] == [{"x": q, "y": v[0]} for q, v in sorted(expected.items())]


def test_the_trust_page_explains_the_method_before_anything_is_published(client):
    page = client.get("/trust/").get_data(as_text=True)

    assert "No survey results have been published yet." in page
    assert "Fewer than 50 responses" in page and "Fewer than 10" in page


def test_the_published_threshold_is_the_one_the_query_applies():
    entry = yaml.safe_load((PUBLISHERS / "community-trust.yaml").read_text(encoding="utf-8"))
    resource = entry["resources"]["district-quarterly"]
    thresholds = set(re.findall(r"n >= (\d+)", resource["source"]["query"]))

    assert thresholds == {str(trust.MIN_RESPONSES)}
    assert resource["privacy"]["suppress"]["k"] == trust.SMALL_CELL_K
    assert "auto_publish" not in entry


def test_a_survey_with_no_answers_yet_publishes_an_empty_table(portal, survey, officer):
    result = run(portal, "community-trust")

    assert result.status.value == "succeeded", result.error
    version = approve(portal, officer, "community-trust")
    assert _published_rows(portal, version) == []
    (figure,) = version.figures["figures"]  # declared, so shown: with no value, and why
    assert (figure["key"], figure["value"], figure["display"]) == ("trust_index", None, "–")
    assert figure["period"] == "no rows"
