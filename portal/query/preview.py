"""The preview of a published table on its dataset page: filter, sort and page on the server.

A page is one GET form per table, so it works without JavaScript: `table=<resource>` says
which table the other parameters are for; `q`, `sort` (a field, `-` first for descending),
`page`, a category field's name (repeatable) or `<field>__min` / `<field>__max` on dates and
numbers. Everything is answered by the query engine (`portal.query`), so the preview, the
JSON rows and the filtered CSV export always agree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from portal.datasets.labels import value_label
from portal.figures.charts import Chart, resource_chart
from portal.models import Version
from portal.query import engine
from portal.storage import LocalStorage

ROWS_PER_PAGE = 20
RANGE_TYPES = ("date", "yearmonth", "year")


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class Control:
    """One filter of the form: a select of category values, or a from/to pair."""

    name: str
    title: str
    kind: str  # "select" or "range"
    choices: list[Choice] = field(default_factory=list)
    low: str = ""
    high: str = ""


@dataclass(frozen=True)
class Column:
    name: str
    title: str
    sort: str | None  # "ascending", "descending" or None: the value of aria-sort
    sort_link: str  # query string that sorts by this column next (toggling direction)


@dataclass(frozen=True)
class Preview:
    resource: str
    version: int
    active: bool
    columns: list[Column]
    rows: list[list[str]]
    total: int  # rows that match
    row_count: int  # rows in the table
    first: int
    last: int
    page: int
    pages: int
    controls: list[Control]
    q: str
    sort: str
    errors: dict[str, list[str]]
    params: list[tuple[str, str]]  # the filter, search and sort as the engine takes them
    previous_link: str | None
    next_link: str | None

    @property
    def filtered(self) -> bool:
        return any(k != "sort" for k, _ in self.params)

    @property
    def api_query(self) -> str:
        """The same rows, pinned to this version, as the API and the CSV export take them."""
        return urlencode([*self.params, ("version", str(self.version))])


def arguments(args: Mapping[str, Sequence[str]], resource: str) -> Mapping[str, Sequence[str]]:
    """The request's parameters when they are for this table, else none."""
    wanted = list(args.get("table") or [])
    return args if wanted and wanted[0] == resource else {}


def preview(
    data_dir: Path,
    version: Version,
    resource: str,
    args: Mapping[str, Sequence[str]],
    labels: Mapping[str, Mapping[str, str]] | None = None,
) -> Preview:
    """One page of a table as the form asks for it; a bad filter is reported, not raised."""
    table = engine.open_table(data_dir, version, resource)
    specs = {spec["name"]: spec for spec in table.fields}
    filters: dict[str, list[str]] = {}
    for key, values in args.items():
        name = key.removesuffix("__min").removesuffix("__max")
        kept = [v for v in values if v.strip()]
        if name in specs and kept and (key == name or _ranged(specs[name])):
            filters[key] = kept
    q = (args.get("q") or [""])[0].strip()
    sort = (args.get("sort") or [""])[0].strip()
    if sort.lstrip("-") not in specs:
        sort = ""
    page = _page_number(args)
    errors: dict[str, list[str]] = {}
    order = [sort] if sort else []
    try:
        total = table.count(engine.Query(filters, q or None, order))
    except engine.BadQuery as bad:
        # Shown beside the form; the table then shows every row rather than an error page.
        errors, filters = bad.fields, {}
        total = table.count(engine.Query({}, q or None, order))
    pages = max(1, math.ceil(total / ROWS_PER_PAGE))
    page = min(page, pages)
    offset = (page - 1) * ROWS_PER_PAGE
    found = table.page(engine.Query(filters, q or None, order, None, ROWS_PER_PAGE, offset))
    params = [(k, v) for k, vs in filters.items() for v in vs]
    params += [("q", q)] if q else []
    params += [("sort", sort)] if sort else []

    def link(**changes: object) -> str:
        state = dict(params=params, page=page) | changes
        pairs = [("table", resource), *state["params"]]
        if state["page"] > 1:
            pairs.append(("page", str(state["page"])))
        return "?" + urlencode(pairs)

    unsorted = [(k, v) for k, v in params if k != "sort"]
    columns = []
    for spec in table.fields:
        name = spec["name"]
        state = "ascending" if sort == name else "descending" if sort == f"-{name}" else None
        following = f"-{name}" if state == "ascending" else name
        columns.append(
            Column(
                name,
                spec.get("title") or name,
                state,
                link(params=[*unsorted, ("sort", following)], page=1),
            )
        )
    rows = [
        [_cell(spec, row.get(spec["name"]), labels) for spec in table.fields] for row in found.rows
    ]
    return Preview(
        resource=resource,
        version=version.number,
        active=bool(args),
        columns=columns,
        rows=rows,
        total=total,
        row_count=table.row_count,
        first=found.offset + 1 if rows else 0,
        last=found.offset + len(rows),
        page=page,
        pages=pages,
        controls=_controls(table, filters, labels),
        q=q,
        sort=sort,
        errors=errors,
        params=params,
        previous_link=link(page=page - 1) if page > 1 else None,
        next_link=link(page=page + 1) if page < pages else None,
    )


def _ranged(spec: dict) -> bool:
    return spec.get("type", "string") in engine.RANGE_TYPES


def _page_number(args: Mapping[str, Sequence[str]]) -> int:
    text = (args.get("page") or ["1"])[0]
    return int(text) if text.isdigit() and 0 < int(text) < 10**9 else 1


def _cell(spec: dict, value: object, labels: Mapping[str, Mapping[str, str]] | None) -> str:
    if value is None:
        return ""
    if spec.get("type") == "boolean" or (spec.get("constraints") or {}).get("enum"):
        return value_label(value, spec["name"], labels)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:,}" if spec.get("type") != "year" else str(value)
    return str(value)


def _controls(
    table: engine.Table,
    filters: Mapping[str, Sequence[str]],
    labels: Mapping[str, Mapping[str, str]] | None,
) -> list[Control]:
    controls = []
    for spec in table.fields:
        name = spec["name"]
        title = spec.get("title") or name
        if name in table.facets:
            chosen = set(filters.get(name, ()))
            choices = [
                Choice(
                    _text(item["value"]),
                    value_label(item["value"], name, labels),
                    item["count"],
                    _text(item["value"]) in chosen,
                )
                for item in table.facets[name]
                if item["value"] is not None
            ]
            controls.append(Control(name, title, "select", choices))
        elif spec.get("type") in RANGE_TYPES:
            low = (filters.get(f"{name}__min") or [""])[0]
            high = (filters.get(f"{name}__max") or [""])[0]
            controls.append(Control(name, title, "range", low=low, high=high))
    return controls


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class TableView:
    """Everything the dataset page shows of one table: its preview, chart and published schema."""

    resource: str
    preview: Preview
    chart: Chart | None
    schema: dict


def table_views(
    data_dir: Path,
    storage: LocalStorage,
    version: Version,
    args: Mapping[str, Sequence[str]],
    labels: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, TableView]:
    """The preview and chart of every table of a version, the asked-for one filtered."""
    views = {}
    for file in version.files:
        if not file.resource_name or file.media_type != "text/csv":
            continue
        name = file.resource_name
        shown = preview(data_dir, version, name, arguments(args, name), labels)
        table = engine.open_table(data_dir, version, name)
        chart = resource_chart(
            storage.path(file.path), file.sha256, name, table.schema, data_dir / "charts"
        )
        views[name] = TableView(name, shown, chart, table.schema)
    return views
