"""Where each mark of a chart goes: a figure's series laid out for the SVG macro to draw.

The SVG has no viewBox: its text is in CSS pixels (12 px on any screen), vertical positions
are pixels and horizontal ones percentages of its width. The y-axis labels get a left margin
wide enough for them at the narrowest chart (a 320 px screen), so nothing is scaled down on
a phone and no label is cut off at any width; labels along the bottom are thinned so they
never collide there. Ticks are 3 to 6 round numbers, each with a gridline.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from portal.figures import numbers
from portal.languages import gettext

PLOT = 150  # px between the top gridline and the baseline
TOP = 30  # px above the plot: the axis title and the legend
BOTTOM = 44  # px below: the labels and the axis title
FONT = 12  # px; the test says at least 11 on a phone
CHAR = 7.2  # px: a wide estimate of one character at FONT (digits and capitals)
NARROWEST = 256  # px: the chart's width on a 320 px screen, inside the page's margins
RIGHT = 1.0  # % kept free at the right
ROW = 36  # px per category in a bar-per-category chart


def _width(text: str) -> float:
    return len(text) * CHAR


def layout(result: dict) -> dict | None:
    """The drawing of a figure's chart, or None when the figure has no chart to draw."""
    chart = result.get("chart")
    if not chart:
        return None
    if chart["kind"] == "categories":
        return _categories(result, chart)
    series = [s for s in chart.get("series", []) if s["points"]]
    if not series or len(series[0]["points"]) < 2:
        return None
    return _columns(result, chart, series)


def _columns(result: dict, chart: dict, series: list[dict]) -> dict:
    unit = chart["unit"]
    values = [p["value"] for s in series for p in s["points"] if p["value"] is not None]
    whole = unit not in numbers.SHARE and all(float(v).is_integer() for v in values)
    ticks = numbers.nice_ticks(max(values, default=0), 0, whole=whole)
    top = ticks[-1] or 1
    tick_labels = [numbers.short(t, unit) for t in ticks]
    gutter = round((max(_width(t) for t in tick_labels) + 10) / NARROWEST * 100, 2)
    plot = 100 - gutter - RIGHT
    count, groups = len(series[0]["points"]), len(series)
    slot = plot / count
    bar = slot * 0.8 / groups
    bars = []
    for g, line in enumerate(series):
        for i, p in enumerate(line["points"]):
            if p["value"] is None:
                continue
            height = round(p["value"] / top * PLOT, 1)
            classes = [f"s{g + 1}"] + (["provisional"] if p["provisional"] else [])
            bars.append(
                {
                    "x": round(gutter + i * slot + slot * 0.1 + g * bar, 3),
                    "w": round(max(bar * 0.92, 0.1), 3),
                    "y": round(TOP + PLOT - height, 1),
                    "h": height,
                    "cls": " ".join(classes),
                    "title": f"{line['label']}, {p['label']}: {p['display']}"
                    + (" " + gettext("(provisional)") if p["provisional"] else ""),
                }
            )
    points = series[0]["points"]
    provisional = [p["label"] for p in points if p["provisional"]]
    legend = [(f"s{g + 1}", s["label"]) for g, s in enumerate(series)] if groups > 1 else []
    if provisional:
        legend.append(
            ("provisional", gettext("provisional: %(periods)s", periods=", ".join(provisional)))
        )
    return {
        "kind": "columns",
        "id": f"chart-{result['key']}",
        "figure": result["key"],
        "title": chart["title"],
        "period": chart.get("period", ""),
        "height": TOP + PLOT + BOTTOM,
        "gutter": gutter,
        "right": round(100 - RIGHT, 2),
        "baseline": TOP + PLOT,
        "ticks": [
            {"y": round(TOP + PLOT - t / top * PLOT, 1), "label": label}
            for t, label in zip(ticks, tick_labels, strict=True)
        ],
        "y_title": chart["y_title"],
        "x_title": chart["x_title"],
        "bars": bars,
        "labels": _bottom_labels(points, gutter, plot),
        "legend": _legend(legend),
        "table": {
            "head": [chart["x_title"], *(s["label"] for s in series)] if groups > 1 else None,
            "rows": [
                {
                    "x": p["label"] + (" (provisional)" if p["provisional"] else ""),
                    "key": p["x"],
                    "cells": [_cell(s["points"][i], s["name"]) for s in series],
                }
                for i, p in enumerate(points)
            ],
        },
    }


def _cell(point: dict, series: str | None) -> dict:
    return {"value": point["value"], "display": point["display"], "series": series}


def _short_labels(points: list[dict]) -> list[str]:
    """Labels short enough for the bottom: the year of a yearly period or snapshot."""
    keys = [str(p["x"]) for p in points]
    if all(len(k) == 4 and k.isdigit() for k in keys):
        return keys  # years: the axis title says "Fiscal year"
    if all(len(k) == 10 for k in keys) and len({k[5:] for k in keys}) == 1:
        return [k[:4] for k in keys]  # one snapshot a year, on the same day: the year
    return [p["label"] for p in points]


def _bottom_labels(points: list[dict], gutter: float, plot: float) -> list[dict]:
    """Labels under the bars: every category when they fit at the narrowest chart."""
    labels = _short_labels(points)
    count = len(points)
    width = NARROWEST * plot / 100  # px of plot at the narrowest
    slot = width / count
    widest = max(_width(t) for t in labels) + 8
    months = all(len(str(p["x"])) == 7 and str(p["x"])[4] == "-" for p in points)
    if widest <= slot:  # few categories: every one is labelled
        chosen = list(range(count))
    elif months:  # Januaries, with their year
        chosen = [i for i, p in enumerate(points) if str(p["x"]).endswith("-01")]
        labels = [
            str(p["x"])[:4] if i in chosen else t
            for i, (p, t) in enumerate(zip(points, labels, strict=True))
        ]
        if len(chosen) < 2:
            chosen = [0, count - 1]
    else:
        step = int(widest // slot) + 1
        chosen = list(range(count - 1, -1, -step))[::-1]
    found = []
    for i in chosen:
        centre, text = (i + 0.5) * slot, labels[i]  # px at the narrowest
        half, anchor = _width(text) / 2, "middle"
        if centre - half < 0:
            anchor, centre = "start", i * slot
        elif centre + half > width:
            anchor, centre = "end", (i + 1) * slot
        found.append({"px": centre, "anchor": anchor, "label": text})
    return [
        {"x": round(gutter + f["px"] / width * plot, 3), "anchor": f["anchor"], "label": f["label"]}
        for f in _apart(found)
    ]


def _apart(labels: list[dict]) -> list[dict]:
    """Drop a label that would touch the one before it at the narrowest chart."""
    kept: list[dict] = []
    for label in labels:
        if kept and _span(label)[0] < _span(kept[-1])[1] + 6:
            continue
        kept.append(label)
    return kept


def _span(label: dict) -> tuple[float, float]:
    at, width = label["px"], _width(label["label"])
    if label["anchor"] == "start":
        return at, at + width
    if label["anchor"] == "end":
        return at - width, at
    return at - width / 2, at + width / 2


def _legend(items: list[tuple[str, str]]) -> list[dict]:
    """Legend entries right-aligned on the top line, each `dx` px left of the right edge."""
    placed, offset = [], 0.0
    for cls, label in reversed(items):
        placed.append({"cls": cls, "label": label, "dx": -round(offset)})
        offset += _width(label) + 2 * CHAR + 12
    return placed[::-1]


def _categories(result: dict, chart: dict) -> dict | None:
    rows = result.get("categories") or []
    if not rows:
        return None
    top = max((c["value"] or 0) for c in rows) or 1
    bars = []
    for i, c in enumerate(rows):
        y = 18 + i * ROW
        bars.append(
            {
                "label_y": y,
                "y": y + 6,
                "w": round((c["value"] or 0) / top * 100, 3),
                "label": c["label"],
                "display": c["display"],
                "title": f"{c['label']}: {c['display']}",
            }
        )
    return {
        "kind": "rows",
        "id": f"chart-{result['key']}",
        "figure": result["key"],
        "title": chart["title"],
        "period": result.get("period", ""),
        "height": 18 + len(rows) * ROW,
        "x_title": chart["x_title"],
        "y_title": chart["y_title"],
        "bars": bars,
        "table": {
            "head": None,
            "rows": [{"x": c["label"], "key": c["x"], "cells": [_cell(c, None)]} for c in rows],
        },
    }


def charts_of(results: list[dict[str, Any]]) -> list[dict]:
    """The drawn charts of a list of figures, in their order."""
    return [drawn for result in results if (drawn := layout(result))]


def with_marks(drawn: dict, marks: list[tuple[date, str, str]]) -> dict:
    """A columns chart with dated marks on its time axis (policy effective dates): each at the
    start of the period that holds its date; a date outside the periods shown is left out.

    `marks` are (date, short label, full label); the chart is copied, never changed."""
    if drawn.get("kind") != "columns" or not marks:
        return drawn
    keys = [str(row["key"]) for row in drawn["table"]["rows"]]
    slot = (drawn["right"] - drawn["gutter"]) / len(keys)
    placed = []
    for day, short, label in marks:
        text = day.isoformat()
        index = next((i for i, key in enumerate(keys) if text.startswith(key)), None)
        if index is None:
            continue
        x = round(drawn["gutter"] + index * slot, 3)
        # In the right half the label goes left of its line, so it never leaves the chart.
        anchor = "end" if x > (drawn["gutter"] + drawn["right"]) / 2 else "start"
        placed.append({"x": x, "short": short, "label": label, "date": text, "anchor": anchor})
    return {**drawn, "marks": placed} if placed else drawn


def chart_period(drawn: list[dict]) -> tuple[date, date] | None:
    """The first and last day the time charts cover (by their period keys), if any."""
    keys = [str(r["key"]) for c in drawn if c.get("kind") == "columns" for r in c["table"]["rows"]]
    days = [d for key in keys if (d := _period_bounds(key))]
    if not days:
        return None
    return min(d[0] for d in days), max(d[1] for d in days)


def _period_bounds(key: str) -> tuple[date, date] | None:
    """YYYY, YYYY-MM or YYYY-MM-DD as its first and last day; other keys have none."""
    try:
        if len(key) == 4 and key.isdigit():
            return date(int(key), 1, 1), date(int(key), 12, 31)
        if len(key) == 7 and key[4] == "-":
            first = date(int(key[:4]), int(key[5:]), 1)
            following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
            return first, following - timedelta(days=1)
        if len(key) == 10:
            day = date.fromisoformat(key)
            return day, day
    except ValueError:
        return None
    return None
