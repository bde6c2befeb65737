"""The community trust index: computed from the published `community-trust` aggregates.

The published table has one row per quarter and district with the number of responses,
the mean personal score (each respondent's mean answer x 10, so 0-100), its standard
deviation, standard error and 95 % interval. A district row with fewer than
MIN_RESPONSES responses carries no estimate, and one with fewer than SMALL_CELL_K is
suppressed altogether (with complementary cells) by the privacy guard.

The city-wide index of a quarter pools the district rows that carry an estimate, exactly
as if their respondents had been one sample:

    n      = sum of n_d
    index  = sum of n_d x mean_d / n
    s^2    = sum of [(n_d - 1) x sd_d^2 + n_d x (mean_d - index)^2] / (n - 1)
    margin = 1.96 x s / sqrt(n)          (the interval is index +/- margin)

so anyone can recompute it from the published file.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import polars as pl
from babel.dates import format_date
from sqlalchemy.orm import Session

from portal import languages
from portal.datasets import browse
from portal.errors import UnknownDataset
from portal.figures import numbers, periods
from portal.languages import gettext
from portal.storage import LocalStorage

SLUG = "community-trust"  # the dataset the survey answers are published as
RESOURCE = "district-quarterly"
BY_LANGUAGE = "language-quarterly"  # the same index by the language the survey was answered in
MIN_RESPONSES = 50  # estimates from fewer respondents are not published (UK practice)
SMALL_CELL_K = 10  # counts from 1 to 9 are suppressed by the privacy guard
Z95 = 1.96
MEASURE_FIELDS = {
    "trust": "trust_score",
    "fairness": "fairness_score",
    "safety": "safety_score",
    "satisfaction": "satisfaction_score",
}
_NUMBERS = [
    "responses",
    "trust_index",
    "index_sd",
    "index_se",
    "ci_low",
    "ci_high",
    *MEASURE_FIELDS.values(),
]


def read_table(path: Path) -> pl.DataFrame:
    """The published district table with its numbers typed (empty cells are nulls)."""
    table = pl.read_csv(path, infer_schema=False)
    return table.with_columns(
        [pl.col(name).cast(pl.Float64, strict=False) for name in _NUMBERS if name in table.columns]
    )


def city_wide(table: pl.DataFrame) -> list[dict]:
    """One pooled estimate per quarter, oldest first, from the rows that carry an estimate."""
    usable = table.filter(
        pl.col("responses").is_not_null()
        & pl.col("trust_index").is_not_null()
        & pl.col("index_sd").is_not_null()
    )
    if usable.is_empty():
        return []
    n, mean, sd = pl.col("responses"), pl.col("trust_index"), pl.col("index_sd")
    pooled = (
        usable.group_by("quarter")
        .agg(
            n.sum().alias("n"),
            ((n * mean).sum() / n.sum()).alias("index"),
            (n * mean * mean).sum().alias("n_mean_sq"),
            ((n - 1) * sd * sd).sum().alias("within"),
            pl.len().alias("districts"),
            *[
                ((pl.col(f) * n).sum() / n.filter(pl.col(f).is_not_null()).sum()).alias(m)
                for m, f in MEASURE_FIELDS.items()
            ],
        )
        .sort("quarter")
    )
    quarters = []
    for row in pooled.iter_rows(named=True):
        total, index = row["n"], row["index"]
        # sum n_d (mean_d - index)^2 = sum n_d mean_d^2 - n index^2
        between = max(row["n_mean_sq"] - total * index * index, 0.0)
        sd_all = math.sqrt((row["within"] + between) / (total - 1)) if total > 1 else 0.0
        margin = Z95 * sd_all / math.sqrt(total)
        quarters.append(
            {
                "quarter": row["quarter"],
                "value": round(index, 1),
                "ci_low": round(index - margin, 1),
                "ci_high": round(index + margin, 1),
                "responses": int(total),
                "districts": row["districts"],
                "measures": {
                    m: None if row[m] is None else round(row[m], 1) for m in MEASURE_FIELDS
                },
            }
        )
    return quarters


def quarter_words(quarter: str) -> str:
    """ "2026-Q3" -> "July to September 2026" (Spanish: "julio a septiembre de 2026")."""
    year, number = int(quarter[:4]), int(quarter[-1])
    first, last = date(year, 3 * number - 2, 1), date(year, 3 * number, 1)
    code = languages.current()
    return gettext(
        "%(first)s to %(last)s %(year)s",
        first=format_date(first, "LLLL", locale=code),
        last=format_date(last, "LLLL", locale=code),
        year=year,
    )


def trust_figures(files: dict[str, Path]) -> list[dict]:
    """The trust page's figure: the latest quarter's index, its interval and its trend."""
    path = files.get(RESOURCE)
    if path is None:
        return []
    quarters = city_wide(read_table(path))
    if not quarters:
        return []
    latest = quarters[-1]
    previous = quarters[-2]["value"] if len(quarters) > 1 else None
    return [
        {
            "key": "trust_index",
            "label": gettext(
                "Community trust index, %(quarter)s (0-100)",
                quarter=periods.words(latest["quarter"], "quarter"),
            ),
            "value": latest["value"],
            "unit": "index",
            "ci_low": latest["ci_low"],
            "ci_high": latest["ci_high"],
            "responses": latest["responses"],
            "previous": previous,
            "previous_label": gettext("the quarter before"),
            "period": quarter_words(latest["quarter"]),
            "resource": RESOURCE,
            "trend": quarters,
            # The shape of the small trend macro (_macros.html `trend`).
            "chart": {
                "title": gettext("Trust index by quarter"),
                "period": gettext(
                    "%(first)s to %(last)s",
                    first=periods.words(quarters[0]["quarter"], "quarter"),
                    last=periods.words(latest["quarter"], "quarter"),
                ),
                "x_title": gettext("Quarter"),
                "y_title": gettext("Index (0-100)"),
                "points": [
                    {
                        "x": q["quarter"],
                        "label": periods.words(q["quarter"], "quarter"),
                        "value": q["value"],
                        "display": numbers.decimal(q["value"], 1),
                        "provisional": False,
                    }
                    for q in quarters
                ],
            },
        }
    ]


def published_summary(session: Session, storage: LocalStorage) -> dict:
    """The city-wide index by quarter and the latest district rows, from the current file.

    The site's headline figure for the index is declared in the dataset's `dataset.yaml`
    (a pooled mean, portal.figures); this page pools the same rows the same way and adds
    the interval, the measures and the districts of every quarter.
    """
    try:
        dataset = browse.published_dataset(session, SLUG)
    except UnknownDataset:
        return {
            "dataset": None,
            "version": None,
            "figure": None,
            "districts": [],
            "by_language": [],
        }
    version = dataset.current_version
    file = version.file(f"{RESOURCE}.csv")
    figure, districts, by_language = None, [], []
    if file is not None:
        path = storage.path(file.path)
        found = trust_figures({RESOURCE: path})
        figure = found[0] if found else None
        if figure is not None:
            table = read_table(path)
            latest = figure["trend"][-1]["quarter"]
            districts = table.filter(table["quarter"] == latest).to_dicts()
            by_language = _latest_rows(version, storage, BY_LANGUAGE, latest)
    return {
        "dataset": dataset,
        "version": version,
        "figure": figure,
        "districts": districts,
        "by_language": by_language,
    }


def _latest_rows(version, storage: LocalStorage, resource: str, quarter: str) -> list[dict]:  # noqa: ANN001
    """A published table's rows of one quarter (none when the version has no such table)."""
    file = version.file(f"{resource}.csv")
    if file is None:
        return []
    table = read_table(storage.path(file.path))
    return table.filter(table["quarter"] == quarter).to_dicts()
