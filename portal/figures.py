"""Headline figures for the index summary, computed from a version's own published files.

Computed once at publish time and stored on the version, so the index page
reads numbers that match the downloads exactly and costs nothing to serve.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import polars as pl

from portal.models import Dataset


def _months_back(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def _figure(key: str, label: str, value: float | int | None, **extra: object) -> dict:
    return {"key": key, "label": label, "value": value, **extra}


def use_of_force(files: dict[str, Path]) -> list[dict]:
    path = files.get("incidents")
    if path is None:
        return []
    table = pl.scan_csv(path, infer_schema=False).select(
        pl.col("incident_id"), pl.col("incident_date").str.to_date("%Y-%m-%d"),
        pl.col("subject_injury"), pl.col("most_serious_force")).collect()
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
    figures = [_figure("incidents_12m", "Use-of-force incidents in the last 12 months",
                       incidents, previous=previous, period=period, resource="incidents",
                       change=None if not previous else round((incidents - previous) / previous, 4))]
    if recent.height:
        injured = recent.filter(pl.col("subject_injury").is_in(["serious", "death"])).height
        figures.append(_figure("serious_injury_share_12m",
                               "Subjects seriously injured or killed, last 12 months",
                               round(injured / recent.height, 4), unit="share",
                               count=injured, of=recent.height, period=period,
                               resource="incidents"))
        top = (recent.group_by("most_serious_force").len().sort(["len", "most_serious_force"],
               descending=[True, False]).row(0))
        figures.append(_figure("top_force_type_12m", "Most common most-serious force type",
                               top[0], count=top[1], period=period, resource="incidents"))
    return figures


CALCULATORS: dict[str, Callable[[dict[str, Path]], list[dict]]] = {
    "use-of-force": use_of_force,
}


def compute_figures(dataset: Dataset, files: dict[str, Path]) -> dict:
    calculate = CALCULATORS.get(dataset.family)
    return {"figures": calculate(files) if calculate else []}
