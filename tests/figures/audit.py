"""The figures audit's own arithmetic: declared figures recomputed from published CSV text.

Deliberately independent of portal.figures: the declarations are read from dataset.yaml with
PyYAML, the files with the csv module, windows with integer month arithmetic and the numbers
with plain Python. If the engine and this module disagree, one of them is wrong.
"""

from __future__ import annotations

import csv
import io
import math
import re
from html.parser import HTMLParser

MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
DEFAULT_WINDOW = {"month": 12}  # anything else: the latest period
CHART_WINDOW = {"month": 24, "quarter": 8, "year": 10, "snapshot": 10}
ADDITIVE = ("count", "count_distinct", "sum")


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# -- periods ------------------------------------------------------------------------------


def key_of(value: str, field_type: str, period: str) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if period in ("snapshot",):
        return value
    if period == "year":
        return value[:4]
    if period == "quarter":
        if field_type in ("date", "datetime", "yearmonth"):
            return f"{value[:4]}-Q{(int(value[5:7]) - 1) // 3 + 1}"
        return value
    return value[:7]


def step(key: str, period: str, n: int) -> str:
    if period == "month":
        y, m = divmod(int(key[:4]) * 12 + int(key[5:7]) - 1 + n, 12)
        return f"{y:04d}-{m + 1:02d}"
    if period == "quarter":
        y, q = divmod(int(key[:4]) * 4 + int(key[-1]) - 1 + n, 4)
        return f"{y:04d}-Q{q + 1}"
    return str(int(key) + n)


def window_of(keys: list[str], period: str, count: int) -> list[str]:
    """The latest `count` periods (0: all), never before the first present."""
    keys = sorted(set(keys))
    if period == "snapshot":
        return keys[-count:] if count else keys
    last = keys[-1]
    if not count:
        run = [keys[0]]
        while run[-1] != last:
            run.append(step(run[-1], period, 1))
        return run
    return [
        step(last, period, -i)
        for i in range(count - 1, -1, -1)
        if step(last, period, -i) >= keys[0]
    ]


def words(key: str, period: str, prefix: str = "") -> str:
    if period == "month":
        return f"{MONTH_NAMES[int(key[5:7]) - 1]} {key[:4]}"
    if period == "quarter":
        return f"Q{key[-1]} {key[:4]}"
    if period == "snapshot":
        return f"{int(key[8:10])} {MONTH_NAMES[int(key[5:7]) - 1]} {key[:4]}"
    return f"{prefix} {key}".strip()


def span(keys: list[str], period: str, prefix: str = "") -> str:
    first, last = words(keys[0], period, prefix), words(keys[-1], period, prefix)
    if first == last:
        return first
    if period == "year" and prefix:
        return f"{prefix} {keys[0]} – {keys[-1]}"
    return f"{first} – {last}"


# -- measures -----------------------------------------------------------------------------


def _values(filters: dict | None) -> dict[str, set[str]]:
    out = {}
    for name, values in (filters or {}).items():
        values = values if isinstance(values, list) else [values]
        out[name] = {str(v).lower() if isinstance(v, bool) else str(v) for v in values}
    return out


def _keep(row: dict, filters: dict[str, set[str]]) -> bool:
    return all(row.get(name) in values for name, values in filters.items())


def _num(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def measure(rows: list[dict], spec: dict) -> tuple[float | None, dict]:
    """(value, parts) of a declared measure over rows, by hand."""
    where = _values(spec.get("where"))
    chosen = [r for r in rows if _keep(r, where)]
    if "count" in spec:
        return len(chosen), {}
    if "count_distinct" in spec:
        return len({r[spec["count_distinct"]] for r in chosen if r[spec["count_distinct"]]}), {}
    if "sum" in spec:
        return sum(_num(r[spec["sum"]]) or 0 for r in chosen), {}
    if "ratio" in spec:
        top = measure(chosen, spec["ratio"]["numerator"])[0]
        bottom = measure(chosen, spec["ratio"]["denominator"])[0]
        return (top / bottom if bottom else None), {"numerator": top, "denominator": bottom}
    if "weighted_mean" in spec:
        v, w = spec["weighted_mean"]["value"], spec["weighted_mean"]["weight"]
        pairs = [(_num(r[v]), _num(r[w])) for r in chosen]
        pairs = [(a, b) for a, b in pairs if a is not None and b is not None]
        weight = sum(b for _, b in pairs)
        return (sum(a * b for a, b in pairs) / weight if weight else None), {}
    p = spec["pooled_mean"]
    cells = [(_num(r[p["n"]]), _num(r[p["mean"]]), _num(r[p["sd"]])) for r in chosen]
    cells = [c for c in cells if None not in c]
    n = sum(c[0] for c in cells)
    if not n:
        return None, {}
    mean = sum(c[0] * c[1] for c in cells) / n
    var = sum((c[0] - 1) * c[2] ** 2 + c[0] * (c[1] - mean) ** 2 for c in cells) / (n - 1)
    margin = 1.96 * math.sqrt(var) / math.sqrt(n)
    return mean, {"low": mean - margin, "high": mean + margin, "responses": n}


def decimals(spec: dict) -> int:
    if spec.get("decimals") is not None:
        return int(spec["decimals"])
    return 1 if spec.get("unit") in ("share", "percent", "index", "minutes", "days", "hours") else 0


def written(value: float | None, unit: str, digits: int) -> str:
    if value is None:
        return "–"
    if unit in ("share", "percent"):
        return f"{value * 100:.{digits}f}%"
    text = f"{value:,.{digits}f}"
    return "$" + text if unit == "USD" else text


def close(shown: str, exact: float | None, unit: str, digits: int) -> bool:
    """A value attribute agrees with the exact value to the precision it is written with."""
    if exact is None:
        return shown == ""
    scale = 10 ** -(digits + (2 if unit in ("share", "percent") else 0))
    return abs(float(shown) - exact) <= scale / 2 + 1e-9


# -- the expected figures of a dataset ------------------------------------------------------


def expected(meta: dict, schemas: dict[str, dict], tables: dict[str, list[dict]]) -> dict:
    """key -> what the pages must show for each figure the dataset declares."""
    found = {}
    for spec in meta.get("figures") or []:
        rows = [r for r in tables[spec["resource"]] if _keep(r, _values(spec.get("filters")))]
        types = {f["name"]: f.get("type", "string") for f in schemas[spec["resource"]]["fields"]}
        unit, digits = spec.get("unit", "rows"), decimals(spec)
        out: dict = {"unit": unit, "digits": digits, "points": {}, "spec": spec}
        time = spec.get("time")
        in_window = rows
        if time:
            period, prefix = time["period"], time.get("prefix", "")

            def key(r: dict, time: dict = time, types: dict = types) -> str | None:
                return key_of(r[time["field"]], types[time["field"]], time["period"])

            keys = sorted({k for r in rows if (k := key(r))})
            count = spec.get("window", DEFAULT_WINDOW.get(period, 1))
            window = window_of(keys, period, count)
            in_window = [r for r in rows if key(r) in window]
            out["period"] = span(window, period, prefix)
            if count and len(window) == count:
                if period == "snapshot":
                    before = [k for k in keys if k < window[0]][-count:]
                    before = before if len(before) == count else []
                else:
                    before = [step(window[0], period, -i) for i in range(count, 0, -1)]
                    before = before if before[0] >= keys[0] else []
                if before:
                    old = measure([r for r in rows if key(r) in before], spec["measure"])[0]
                    out["previous"] = old
            chart = spec.get("chart", True)
            if chart and not spec.get("by"):
                chart = chart if isinstance(chart, dict) else {}
                run = window_of(keys, period, chart.get("window", CHART_WINDOW[period]))
                split = chart.get("split")
                names = sorted({r[split] for r in rows}) if split else [None]
                for k in run:
                    for name in names:
                        cell = [r for r in rows if key(r) == k and (not split or r[split] == name)]
                        value = measure(cell, spec["measure"])[0]
                        if not cell and not any(m in spec["measure"] for m in ADDITIVE):
                            value = None
                        out["points"][(k, name)] = value
        value, parts = measure(in_window, spec["measure"])
        out.update(value=value, **parts)
        if spec.get("by"):
            by = spec["by"]
            for category in {r[by] for r in in_window}:
                cell = [r for r in in_window if r[by] == category]
                out["points"][(category, None)] = measure(cell, spec["measure"])[0]
        found[spec["key"]] = out
    return found


# -- what the pages show ------------------------------------------------------------------


class Shown(HTMLParser):
    """Every <data> element of a page: its attributes and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict] = []
        self._open: dict | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "data":
            self._open = {**dict(attrs), "text": ""}

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "data" and self._open is not None:
            self.found.append(self._open)
            self._open = None


def shown_numbers(page: str) -> list[dict]:
    parser = Shown()
    parser.feed(page)
    return parser.found


DATES = re.compile(
    rf"(\d{{1,2}} )?({'|'.join(MONTH_NAMES)}) \d{{4}}|Q[1-4] \d{{4}}|Fiscal year \d{{4}}|95 %"
)


def loose_numbers(block: str) -> list[str]:
    """Digits a figure's value shows outside <data> elements, its periods and its trend."""
    block = re.sub(r'<figure class="trend">.*?</figure>', " ", block, flags=re.S)
    block = re.sub(r"<data [^>]*>.*?</data>", " ", block, flags=re.S)
    block = re.sub(r"<dt>.*?</dt>", " ", block, flags=re.S)  # the label names what is counted
    block = re.sub(r'<span class="period">.*?</span>', " ", block, flags=re.S)  # checked apart
    block = re.sub(r'(<span class="muted previous">)[^<:]*:', r"\1", block)  # its period
    text = re.sub(r"<[^>]+>", " ", block)
    return re.findall(r"\d[\d,.]*", DATES.sub(" ", text))
