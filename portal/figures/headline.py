"""Headline figures for the index summary, computed from a version's own published files.

Computed once at publish time and stored on the version, so the index page
reads numbers that match the downloads exactly and costs nothing to serve.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import polars as pl

from portal.community.trust import trust_figures
from portal.models import Dataset


def _months_back(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def _figure(key: str, label: str, value: float | int | None, **extra: object) -> dict:
    return {"key": key, "label": label, "value": value, **extra}


SERIES_POINTS = 24


def _series(frame: pl.DataFrame, x: str, y: str) -> list[dict]:
    """The last points of a trend, oldest first, for the small charts."""
    rows = frame.sort(x).tail(SERIES_POINTS).select(x, y).rows()
    return [{"x": str(a), "y": round(b, 4) if isinstance(b, float) else b} for a, b in rows]


def use_of_force(files: dict[str, Path]) -> list[dict]:
    path = files.get("incidents")
    if path is None:
        return []
    table = (
        pl.scan_csv(path, infer_schema=False)
        .select(
            pl.col("incident_id"),
            pl.col("incident_date").str.to_date("%Y-%m-%d"),
            pl.col("subject_injury"),
            pl.col("most_serious_force"),
        )
        .collect()
    )
    if table.is_empty():
        return []
    latest = table.get_column("incident_date").max()
    end = _months_back(date(latest.year, latest.month, 1), -1)  # first day after the last month
    start, before = _months_back(end, 12), _months_back(end, 24)
    recent = table.filter((pl.col("incident_date") >= start) & (pl.col("incident_date") < end))
    earlier = table.filter((pl.col("incident_date") >= before) & (pl.col("incident_date") < start))
    period = f"{start:%B %Y} to {_months_back(end, 1):%B %Y}"
    incidents = recent.get_column("incident_id").n_unique()
    previous = earlier.get_column("incident_id").n_unique()
    figures = [
        _figure(
            "incidents_12m",
            "Use-of-force incidents in the last 12 months",
            incidents,
            previous=previous,
            previous_label="the 12 months before",
            period=period,
            resource="incidents",
            change=None if not previous else round((incidents - previous) / previous, 4),
            series=_series(
                table.filter(pl.col("incident_date") < end)
                .group_by(pl.col("incident_date").dt.strftime("%Y-%m").alias("month"))
                .agg(pl.col("incident_id").n_unique().alias("incidents")),
                "month",
                "incidents",
            ),
            series_label="Incidents per month",
        )
    ]
    if recent.height:
        injured = recent.filter(pl.col("subject_injury").is_in(["serious", "death"])).height
        figures.append(
            _figure(
                "serious_injury_share_12m",
                "Subjects seriously injured or killed, last 12 months",
                round(injured / recent.height, 4),
                unit="share",
                count=injured,
                of=recent.height,
                period=period,
                resource="incidents",
            )
        )
        top = (
            recent.group_by("most_serious_force")
            .len()
            .sort(["len", "most_serious_force"], descending=[True, False])
            .row(0)
        )
        figures.append(
            _figure(
                "top_force_type_12m",
                "Most common most-serious force type",
                top[0],
                count=top[1],
                period=period,
                resource="incidents",
            )
        )
    return figures


def _monthly_windows(table: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, str]:
    """The last 12 months of a table with a `month` (YYYY-MM) column, the 12 before, the period."""
    months = sorted(table.get_column("month").unique().to_list())
    recent, earlier = months[-12:], months[-24:-12]
    period = f"{_label(recent[0])} to {_label(recent[-1])}"
    return (
        table.filter(pl.col("month").is_in(recent)),
        table.filter(pl.col("month").is_in(earlier)),
        period,
    )


def _label(month: str) -> str:
    return f"{date(int(month[:4]), int(month[5:7]), 1):%B %Y}"


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def body_worn_cameras(files: dict[str, Path]) -> list[dict]:
    path = files.get("monthly-usage")
    if path is None:
        return []
    table = pl.read_csv(path, infer_schema_length=0).with_columns(
        pl.col(
            "activations_required",
            "activations_made",
            "footage_requests_received",
            "footage_requests_fulfilled",
        ).cast(pl.Int64)
    )
    if table.is_empty():
        return []
    recent, earlier, period = _monthly_windows(table)
    made, required = recent["activations_made"].sum(), recent["activations_required"].sum()
    before = _ratio(earlier["activations_made"].sum(), earlier["activations_required"].sum())
    received = recent["footage_requests_received"].sum()
    fulfilled = recent["footage_requests_fulfilled"].sum()
    return [
        _figure(
            "activation_compliance_12m",
            "Camera activations made when policy required one, last 12 months",
            _ratio(made, required),
            unit="share",
            count=made,
            of=required,
            previous=before,
            previous_label="the 12 months before",
            period=period,
            resource="monthly-usage",
            series=_series(
                table.group_by("month").agg(
                    (pl.col("activations_made").sum() / pl.col("activations_required").sum())
                    .round(4)
                    .alias("compliance")
                ),
                "month",
                "compliance",
            ),
            series_label="Share of required activations made, per month",
        ),
        _figure(
            "footage_requests_fulfilled_12m",
            "Footage requests fulfilled, last 12 months",
            _ratio(fulfilled, received),
            unit="share",
            count=fulfilled,
            of=received,
            period=period,
            resource="monthly-usage",
        ),
    ]


def resource_allocation(files: dict[str, Path]) -> list[dict]:
    figures = []
    if "budget" in files:
        budget = pl.read_csv(files["budget"], infer_schema_length=0).with_columns(
            pl.col("fiscal_year").cast(pl.Int64), pl.col("adopted_amount").cast(pl.Float64)
        )
        totals = (
            budget.group_by("fiscal_year").agg(pl.col("adopted_amount").sum()).sort("fiscal_year")
        )
        if totals.height:
            year, amount = totals.row(-1)
            previous = totals.row(-2)[1] if totals.height > 1 else None
            figures.append(
                _figure(
                    "adopted_budget",
                    f"Adopted budget, fiscal year {year}",
                    round(amount),
                    unit="USD",
                    previous=None if previous is None else round(previous),
                    previous_label="the year before",
                    resource="budget",
                    series=_series(
                        totals.with_columns(pl.col("adopted_amount").round(0).cast(pl.Int64)),
                        "fiscal_year",
                        "adopted_amount",
                    ),
                    series_label="Adopted budget per fiscal year (USD)",
                )
            )
    if "staffing" in files:
        staffing = pl.read_csv(files["staffing"], infer_schema_length=0).with_columns(
            pl.col("authorised_positions", "filled_positions").cast(pl.Int64)
        )
        sworn = (
            staffing.filter(pl.col("employee_type") == "sworn")
            .group_by("as_of")
            .agg(pl.col("authorised_positions").sum(), pl.col("filled_positions").sum())
            .sort("as_of")
        )
        if sworn.height:
            as_of, authorised, filled = sworn.row(-1)
            previous = sworn.row(-2)[2] if sworn.height > 1 else None
            figures.append(
                _figure(
                    "sworn_filled",
                    f"Sworn officers on {as_of}",
                    filled,
                    of=authorised,
                    of_label="authorised positions",
                    previous=previous,
                    previous_label="a year earlier",
                    resource="staffing",
                    series=_series(sworn, "as_of", "filled_positions"),
                    series_label="Sworn positions filled, each 31 October",
                )
            )
    if "calls-for-service" in files:
        calls = pl.read_csv(files["calls-for-service"], infer_schema_length=0).with_columns(
            pl.col("calls").cast(pl.Int64)
        )
        if calls.height:
            recent, earlier, period = _monthly_windows(calls)
            figures.append(
                _figure(
                    "calls_12m",
                    "Calls for service, last 12 months",
                    recent["calls"].sum(),
                    previous=earlier["calls"].sum(),
                    previous_label="the 12 months before",
                    period=period,
                    resource="calls-for-service",
                    series=_series(
                        calls.group_by("month").agg(pl.col("calls").sum()), "month", "calls"
                    ),
                    series_label="Calls for service per month",
                )
            )
    return figures


CALCULATORS: dict[str, Callable[[dict[str, Path]], list[dict]]] = {
    "use-of-force": use_of_force,
    "body-worn-cameras": body_worn_cameras,
    "resource-allocation": resource_allocation,
    "community-trust": trust_figures,
}


def compute_figures(dataset: Dataset, files: dict[str, Path]) -> dict:
    calculate = CALCULATORS.get(dataset.family)
    return {"figures": calculate(files) if calculate else []}
