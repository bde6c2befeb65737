"""A chart per published table, when one fits: rows or a measure per month (or per category).

Computed from the published CSV itself, so the bars add up to the file people download,
and kept in memory by the file's SHA-256: a version's file never changes, so neither does
its chart, and a page view costs nothing after the first.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import uuid
from collections import OrderedDict
from dataclasses import asdict, dataclass
from pathlib import Path

import polars as pl

from portal.datasets.labels import value_label

log = logging.getLogger(__name__)

FORMAT = 1  # bump when a chart's shape changes: cached files are then computed again
MAX_POINTS = 36
CACHED = 64
TIME_TYPES = ("date", "datetime", "yearmonth", "year")
MEASURE_TYPES = ("integer", "number")


@dataclass(frozen=True)
class Chart:
    """Bars in order: `points` are (x label, y value); `label` says what y counts."""

    key: str
    label: str
    x_title: str
    points: list[tuple[str, float]]
    unit: str | None = None

    @property
    def series(self) -> list[dict]:
        """The shape the index's trend macro reads."""
        return [{"x": x, "y": y} for x, y in self.points]


def plan(table_schema: dict) -> tuple[dict, dict | None] | None:
    """Which field goes along the bottom and which one is summed (None: rows are counted).

    A time field when there is one, else the first category field. An aggregate table (its
    primary key includes that field) sums its first measure; a table of events counts rows.
    """
    fields = table_schema.get("fields", [])
    axis = next((f for f in fields if f.get("type") in TIME_TYPES), None)
    if axis is None:
        axis = next((f for f in fields if (f.get("constraints") or {}).get("enum")), None)
    if axis is None:
        return None
    key = table_schema.get("primaryKey") or []
    key = [key] if isinstance(key, str) else key
    if axis["name"] not in key:
        return axis, None
    measure = next(
        (f for f in fields if f.get("type") in MEASURE_TYPES and f["name"] not in key), None
    )
    return (axis, measure) if measure is not None else (axis, None)


def resource_chart(
    csv_path: Path,
    sha256: str,
    resource: str,
    table_schema: dict,
    cache_dir: Path | None = None,
) -> Chart | None:
    """The chart of one published table (None when no field suits one), cached by file hash.

    With `cache_dir`, the chart is also kept on disk, so each web worker does not read a
    million-row file again after a restart: the first view of a version pays for everyone.
    """
    with _lock:
        if sha256 in _cache:
            _cache.move_to_end(sha256)
            return _cache[sha256]
    stored = None
    if cache_dir is not None:
        schema = hashlib.sha256(json.dumps(table_schema, sort_keys=True).encode()).hexdigest()
        stored = cache_dir / f"{sha256[:32]}.{schema[:12]}.c{FORMAT}.json"
    known, chart = _read(stored) if stored is not None else (False, None)
    if not known:
        chart = _compute(csv_path, resource, table_schema)
        if stored is not None:
            _write(stored, chart)
    with _lock:
        _cache[sha256] = chart
        if len(_cache) > CACHED:
            _cache.popitem(last=False)
    return chart


_lock = threading.Lock()
_cache: OrderedDict[str, Chart | None] = OrderedDict()


def _read(path: Path) -> tuple[bool, Chart | None]:
    """(whether the file says anything, the chart it holds: None for "no chart fits")."""
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False, None  # a cache: a missing, torn or unreadable file is computed again
    if saved is None:
        return True, None
    points = [(str(x), y) for x, y in saved["points"]]
    return True, Chart(saved["key"], saved["label"], saved["x_title"], points, saved.get("unit"))


def _write(path: Path, chart: Chart | None) -> None:
    saved = None if chart is None else {**asdict(chart), "points": chart.points}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        aside = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        aside.write_text(json.dumps(saved), encoding="utf-8")
        aside.replace(path)
    except OSError:
        log.warning("chart cache %s not written", path, exc_info=True)


def _compute(csv_path: Path, resource: str, table_schema: dict) -> Chart | None:
    chosen = plan(table_schema)
    if chosen is None:
        return None
    axis, measure = chosen
    name, kind = axis["name"], axis.get("type", "string")
    x = pl.col(name)
    if kind in ("date", "datetime"):
        x, x_title = x.str.slice(0, 7), "Month"
    else:
        x_title = axis.get("title") or name
    y = pl.len() if measure is None else pl.col(measure["name"]).cast(pl.Float64).sum()
    frame = (
        pl.scan_csv(csv_path, infer_schema=False)
        .filter(pl.col(name).is_not_null())
        .group_by(x.alias("x"))
        .agg(y.alias("y"))
        .collect()
    )
    if frame.height < 2:
        return None
    enum = (axis.get("constraints") or {}).get("enum")
    if kind in TIME_TYPES:
        rows = frame.sort("x").tail(MAX_POINTS).rows()
        points = [(str(a), _number(b)) for a, b in rows]
    else:
        found = dict(frame.rows())
        order = list(enum or []) + sorted(v for v in found if v not in (enum or []))
        points = [(value_label(v), _number(found.get(v, 0))) for v in order][:MAX_POINTS]
    if measure is None:
        label = f"Rows per {x_title.lower()}"
    else:
        label = f"{measure.get('title') or measure['name']} per {x_title.lower()}"
    unit = "USD" if measure is not None and "USD" in (measure.get("title") or "") else None
    return Chart(f"chart-{resource}", label, x_title, points, unit)


def _number(value: float | int | None) -> float | int:
    if value is None:
        return 0
    return int(value) if float(value).is_integer() else round(float(value), 2)
