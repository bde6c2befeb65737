"""The preview of a published table on its dataset page: filter, sort and page on the server.

A page is one GET form per table, so it works without JavaScript: `table=<resource>` says
which table the other parameters are for; `q`, `sort` (a field, `-` first for descending),
`page`, a category field's name (repeatable) or `<field>__min` / `<field>__max` on dates and
numbers. Everything is answered by the query engine (`portal.query`), so the preview, the
JSON rows and the filtered CSV export always agree.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from portal import languages
from portal.datasets import texts
from portal.datasets.labels import currency, list_delimiter, value_label
from portal.figures.charts import charts_of
from portal.figures.numbers import money, number_text
from portal.figures.service import shown as shown_figures
from portal.languages import gettext
from portal.models import Version
from portal.query import engine
from portal.query.checks import check_filters, choice_text, human_errors
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
    dated: bool = False  # a date: its orders are "oldest first" and "newest first"


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
    def sort_words(self) -> str:
        """The order in words: "date of incident, newest first"."""
        name = self.sort.lstrip("-")
        column = next((c for c in self.columns if c.name == name), None)
        if column is None:
            return ""
        title = column.title.lower()
        if not self.sort.startswith("-"):
            return gettext("%(column)s, oldest first", column=title) if column.dated else title
        if column.dated:
            return gettext("%(column)s, newest first", column=title)
        return gettext("%(column)s, descending", column=title)

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
    table = worded(engine.open_table(data_dir, version, resource), version, resource)
    specs = {spec["name"]: spec for spec in table.fields}
    filters: dict[str, list[str]] = {}
    for key, values in args.items():
        name = key.removesuffix("__min").removesuffix("__max")
        kept = [v for v in values if v.strip()]
        if name in specs and kept and (key == name or _ranged(specs[name])):
            filters[key] = kept
    q = (args.get("q") or [""])[0].strip()
    sort = (args.get("sort") or [""])[0].strip()
    errors: dict[str, list[str]] = {}
    if sort and sort.lstrip("-") not in specs:
        # Said, never silently dropped (the API answers the same sort with a 400 too).
        errors["sort"] = [
            gettext(
                "the table cannot be sorted by %(sort)r; sort by one of its columns: %(columns)s",
                sort=sort,
                columns=", ".join(spec.get("title") or spec["name"] for spec in table.fields),
            )
        ]
        sort = ""
    if "sort" not in args:
        sort = newest_first(table.fields)
    page = _page_number(args)
    order = [sort] if sort else []
    errors.update(check_filters(table, filters, labels))
    if not errors:
        try:
            table.count(engine.Query(filters, q or None, order))
        except engine.BadQuery as bad:
            errors.update(human_errors(table, bad.fields))
    if errors:
        # Shown beside the form (and answered as 400); the table shows every row meanwhile.
        filters = {}
    total = table.count(engine.Query(filters, q or None, order))
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
                spec.get("type") in DATE_TYPES,
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
        controls=_controls(table, filters, labels, q or None),
        q=q,
        sort=sort,
        errors=errors,
        params=params,
        previous_link=link(page=page - 1) if page > 1 else None,
        next_link=link(page=page + 1) if page < pages else None,
    )


DATE_TYPES = ("date", "datetime", "yearmonth")


def worded(table: engine.Table, version: Version, resource: str) -> engine.Table:
    """The table with its fields' titles in the reader's language (dataset.yaml's
    `resources.<table>.fields`); the shared table itself is never changed."""
    meta = version.dataset.meta or {}
    if languages.current() == languages.DEFAULT or not meta.get(texts.TRANSLATIONS):
        return table
    shown = copy.copy(table)
    shown.fields = [
        {
            **spec,
            "title": texts.text(
                meta, f"resources.{resource}.fields.{spec['name']}.title", spec.get("title")
            )
            or spec["name"],
        }
        for spec in table.fields
    ]
    return shown


def newest_first(fields: Sequence[dict]) -> str:
    """The default order of a preview: newest first by the table's first date field."""
    for kind in DATE_TYPES:
        for spec in fields:
            if spec.get("type") == kind:
                return f"-{spec['name']}"
    return ""


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
    if isinstance(value, str) and (delimiter := list_delimiter(spec)):
        return ", ".join(value_label(item, spec["name"], labels) for item in value.split(delimiter))
    if isinstance(value, int | float) and not isinstance(value, bool):
        if code := currency(spec):
            return money(value, code)
        return number_text(value, spec.get("type"))
    return str(value)


def _controls(
    table: engine.Table,
    filters: Mapping[str, Sequence[str]],
    labels: Mapping[str, Mapping[str, str]] | None,
    q: str | None = None,
) -> list[Control]:
    # Each count is what choosing that value would show, given the other filters: all of
    # them asked at once, so fields under the same filters share one scan.
    items = {
        spec["name"]: [item for item in table.facets[spec["name"]] if item["value"] is not None]
        for spec in table.fields
        if spec["name"] in table.facets
    }
    texts = {name: [choice_text(item["value"]) for item in found] for name, found in items.items()}
    counts = (
        table.choice_counts(filters, q, texts)
        if filters or q
        else {name: [item["count"] for item in found] for name, found in items.items()}
    )
    controls = []
    for spec in table.fields:
        name = spec["name"]
        title = spec.get("title") or name
        if name in table.facets:
            chosen = set(filters.get(name, ()))
            choices = [
                Choice(text, value_label(item["value"], name, labels), count, text in chosen)
                for item, text, count in zip(items[name], texts[name], counts[name], strict=True)
            ]
            controls.append(Control(name, title, "select", choices))
        elif spec.get("type") in RANGE_TYPES:
            low = (filters.get(f"{name}__min") or [""])[0]
            high = (filters.get(f"{name}__max") or [""])[0]
            controls.append(Control(name, title, "range", low=low, high=high))
    return controls


@dataclass(frozen=True)
class TableView:
    """Everything the dataset page shows of one table: its preview, charts and published schema."""

    resource: str
    preview: Preview
    charts: list[dict]
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
        rows = preview(data_dir, version, name, arguments(args, name), labels)
        table = engine.open_table(data_dir, version, name)
        charts = charts_of(shown_figures(version, storage, name))
        views[name] = TableView(name, rows, charts, table.schema)
    return views
