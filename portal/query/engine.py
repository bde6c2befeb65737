"""Query engine for published tables: filter, sort, page, count and export a resource version.

Each published CSV gets a DuckDB file at publish time (`portal.query_index`): a columnar
store answers filter + sort + count on a million rows in milliseconds. A missing index (a
version published before this code, or of an older FORMAT) is built on first use.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from portal.errors import PortalError
from portal.models import Version, VersionFile
from portal.query.index import (
    DEFAULT_FALSE,
    DEFAULT_TRUE,
    build_index,
    connect,
    field_type,
    index_path,
)
from portal.storage import LocalStorage

log = logging.getLogger(__name__)

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
RANGE_TYPES = {"integer", "number", "year", "date", "datetime", "yearmonth"}
OPEN_TABLES = 32  # DuckDB files kept open per process
EXPORT_BATCH = 5000
INT64 = 2**63
YEARMONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


class UnknownResource(PortalError):
    """The version has no table of that name."""


class BadQuery(PortalError):
    """A filter, sort, field list or page parameter does not fit the table."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items()))
        self.fields = fields


@dataclass(frozen=True)
class Query:
    """What a reader asks of a table; every name is checked against the table's schema.

    filters: `{"district": ["D1", "D2"], "incident_date__min": ["2024-01-01"]}`; several
    values of one field match any of them; an empty value matches missing cells.
    sort: `["-incident_date", "district"]`; ties keep the published file's order.
    """

    filters: Mapping[str, Sequence[str]] = field(default_factory=dict)
    q: str | None = None
    sort: Sequence[str] = ()
    fields: Sequence[str] | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0


PAGE_CACHE_LIMIT = 100  # pages of at most this many rows are kept (`Table._pages`)


@dataclass(frozen=True)
class Page:
    total: int
    limit: int
    offset: int
    fields: list[str]
    rows: list[dict[str, Any]]


def open_table(data_dir: Path, version: Version, resource: str) -> Table:
    """The queryable table of one resource of a published version (index built if missing)."""
    file = next(
        (f for f in version.files if f.resource_name == resource and f.media_type == "text/csv"),
        None,
    )
    if file is None:
        raise UnknownResource(f"version {version.number} has no table named {resource!r}")
    path = index_path(data_dir, version.dataset.slug, version.number, resource, file.sha256)
    with _lock:
        table = _open.get(path)
        if table is not None:
            _open.move_to_end(path)
            return table
        storage = LocalStorage(data_dir)
        if not path.exists():
            log.info(
                "building the missing query index of %s v%d %s (first use)",
                version.dataset.slug,
                version.number,
                resource,
            )
            build_index(storage.path(file.path), _schema_of(storage, version, file), path)
        try:
            table = Table(path)
        except duckdb.Error:
            # Cut short by a full disk, say, or written by an incompatible DuckDB: a cache.
            log.warning("rebuilding the unreadable query index %s", path, exc_info=True)
            path.unlink()
            build_index(storage.path(file.path), _schema_of(storage, version, file), path)
            table = Table(path)
        _open[path] = table
        if len(_open) > OPEN_TABLES:
            # Dropped, not closed: a request still reading it keeps the database alive.
            _open.popitem(last=False)
        return table


_lock = threading.Lock()
_open: OrderedDict[Path, Table] = OrderedDict()


def _schema_of(storage: LocalStorage, version: Version, file: VersionFile) -> dict:
    """The table schema published with the version (the definition may have changed since)."""
    package = version.file("datapackage.json")
    if package is not None:
        described = json.loads(storage.path(package.path).read_text(encoding="utf-8"))
        for item in described.get("resources", []):
            if item.get("name") == file.resource_name and item.get("schema"):
                return item["schema"]
    resources = {r.name: r.table_schema for r in version.dataset.resources}
    return resources[file.resource_name]


class Recent:
    """The answers to the latest questions, at most `size` of them; safe between threads.

    Answers are shared between requests: callers read them and never change them."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Any:
        with self._lock:
            if key not in self._kept:
                return None
            self._kept.move_to_end(key)
            return self._kept[key]

    def put(self, key: tuple, answer: Any) -> None:
        with self._lock:
            self._kept[key] = answer
            if len(self._kept) > self.size:
                self._kept.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


class Table:
    """One published table, open read-only; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = connect(path, read_only=True)
        meta = json.loads(self._db.execute("SELECT value FROM meta").fetchone()[0])
        self.schema: dict = meta["schema"]
        self.row_count: int = meta["rows"]
        self.facets: dict[str, list[dict]] = meta["facets"]
        self.fields: list[dict] = self.schema["fields"]
        self._index = {spec["name"]: i for i, spec in enumerate(self.fields)}
        # A published version never changes, so an answer never goes stale: counts (every
        # facet of a filtered preview is one) and small pages (the dataset page's preview,
        # asked for by every visitor) are kept, the least recently used dropped first.
        self._counts = Recent(512)
        self._pages = Recent(256)

    @property
    def names(self) -> list[str]:
        return [spec["name"] for spec in self.fields]

    def page(self, query: Query) -> Page:
        """One page of matching rows, typed per the schema, and how many rows match in all."""
        names, where, params, order = self._compile(query)
        errors = {}
        if not 1 <= query.limit <= MAX_LIMIT:
            errors["limit"] = [f"must be between 1 and {MAX_LIMIT}"]
        if query.offset < 0:
            errors["offset"] = ["must be 0 or more"]
        if errors:
            raise BadQuery(errors)
        columns = ", ".join(f"f{self._index[n]}" for n in names)
        sql = f"SELECT {columns} FROM rows WHERE {where}{order} LIMIT ?"
        bounds = [*params, query.limit]
        # No "OFFSET 0" on a first page: it turns DuckDB's streaming limit into a full
        # limit operator, twice as slow on an unsorted table.
        if query.offset:
            sql, bounds = f"{sql} OFFSET ?", [*bounds, query.offset]
        key = (sql, tuple(bounds))
        kept = self._pages.get(key) if query.limit <= PAGE_CACHE_LIMIT else None
        if kept is not None:
            return kept
        with self._db.cursor() as cursor:
            found = cursor.execute(sql, bounds).fetchall()
            total = self._total(cursor, query, where, params)
        convert = [_to_json(self.fields[self._index[n]]) for n in names]
        rows = [{n: c(v) for n, c, v in zip(names, convert, row, strict=True)} for row in found]
        page = Page(total, query.limit, query.offset, names, rows)
        if query.limit <= PAGE_CACHE_LIMIT:
            self._pages.put(key, page)
        return page

    def facet_counts(self, query: Query, name: str, values: Sequence[str]) -> list[int]:
        """For each value (as a filter gives it), how many rows `query` plus `name=value`
        matches: one GROUP BY over `name`, not one count per value."""
        _, where, params, _ = self._compile(Query(query.filters, query.q))
        key = ("facet", name, where, tuple(params))
        counts = self._counts.get(key)
        if counts is None:
            column = f"f{self._index[name]}"
            sql = f"SELECT {column}, count(*) FROM rows WHERE {where} GROUP BY {column}"
            with self._db.cursor() as cursor:
                counts = dict(cursor.execute(sql, params).fetchall())
            self._counts.put(key, counts)
        spec = self.fields[self._index[name]]
        # Each value read as the filter reads it, so "1", "1.0" or "true" find their rows.
        return [counts.get(_parse(spec, name, value), 0) for value in values]

    def count(self, query: Query) -> int:
        _, where, params, _ = self._compile(query)
        with self._db.cursor() as cursor:
            return self._total(cursor, query, where, params)

    def export(self, query: Query) -> Iterator[bytes]:
        """Every matching row as RFC 4180 CSV (UTF-8, CRLF), cells exactly as published.

        The query is checked before the first chunk, so a bad one raises here, not mid-stream.
        """
        names, where, params, order = self._compile(query)
        cells = ", ',', ".join(
            _quoted(self._text(n), _plain(self.fields[self._index[n]])) for n in names
        )
        # One concat() builds each line in one go; chained || copies it once per cell.
        sql = f"SELECT concat({cells}) FROM rows WHERE {where}{order}"
        header = (",".join(_quote_cell(n) for n in names) + "\r\n").encode()
        return self._stream(sql, params, header)

    def _stream(self, sql: str, params: list, header: bytes) -> Iterator[bytes]:
        yield header
        with self._db.cursor() as cursor:
            cursor.execute(sql, params)
            while batch := cursor.fetchmany(EXPORT_BATCH):
                yield ("".join(line + "\r\n" for (line,) in batch)).encode()

    def _text(self, name: str) -> str:
        return f"t{self._index[name]}"  # the cell exactly as published

    def _total(self, cursor: Any, query: Query, where: str, params: list) -> int:
        if where == "true":
            return self.row_count
        key = (where, tuple(params))
        total = self._counts.get(key)
        if total is None:
            sql = f"SELECT count(*) FROM rows WHERE {where}"
            total = cursor.execute(sql, params).fetchone()[0]
            self._counts.put(key, total)
        return total

    def _compile(self, query: Query) -> tuple[list[str], str, list, str]:
        errors: dict[str, list[str]] = {}
        clauses: list[str] = []
        params: list = []
        for key, values in query.filters.items():
            try:
                clause, values_ = self._filter(key, list(values))
            except BadQuery as bad:
                errors.update(bad.fields)
                continue
            clauses.append(clause)
            params += values_
        if query.q and not _is_text(query.q):
            errors["q"] = ["is not valid UTF-8 text"]
        elif query.q and query.q.strip():
            clause, values_ = self._search(query.q.strip().lower())
            clauses.append(clause)
            params += values_
        order = []
        for item in query.sort:
            name = item.strip().lstrip("+-")
            if name not in self._index:
                errors.setdefault("sort", []).append(self._unknown(name))
            else:
                descending = item.strip().startswith("-")
                order.append(f"f{self._index[name]}{' DESC' if descending else ''}")
        names = list(dict.fromkeys(n.strip() for n in query.fields or self.names if n.strip()))
        for name in names:
            if name not in self._index:
                errors.setdefault("fields", []).append(self._unknown(name))
        if errors:
            raise BadQuery(errors)
        where = " AND ".join(f"({c})" for c in clauses) or "true"
        # Without a sort, DuckDB returns rows in insertion (file) order, which an ORDER BY
        # rowid would only slow down; with one, rowid breaks ties so pages never overlap.
        order_by = f" ORDER BY {', '.join([*order, 'rowid'])}" if order else ""
        return names or self.names, where, params, order_by

    def _filter(self, key: str, values: list[str]) -> tuple[str, list]:
        name, bound = key, None
        for suffix in ("__min", "__max"):
            if key.endswith(suffix) and key[: -len(suffix)] in self._index:
                name, bound = key[: -len(suffix)], suffix
        if name not in self._index:
            raise BadQuery({key: [self._unknown(name)]})
        i = self._index[name]
        spec = self.fields[i]
        if not values:
            raise BadQuery({key: ["give a value"]})
        if bound is not None:
            if field_type(spec) not in RANGE_TYPES:
                raise BadQuery(
                    {key: [f"{name} is {field_type(spec)}: ranges work on numbers and dates"]}
                )
            if len(values) != 1 or not values[0].strip():
                raise BadQuery({key: ["give exactly one value"]})
            return f"f{i} {'>=' if bound == '__min' else '<='} ?", [_parse(spec, key, values[0])]
        present = [_parse(spec, key, v) for v in values if v != ""]
        tests = [f"f{i} IN ({', '.join('?' for _ in present)})"] if present else []
        if "" in values:
            tests.append(f"f{i} IS NULL")
        return " OR ".join(tests), present

    def _search(self, needle: str) -> tuple[str, list]:
        """Case-insensitive substring over text fields; enum fields are matched in Python."""
        tests, params = [], []
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        for i, spec in enumerate(self.fields):
            if field_type(spec) != "string":
                continue
            enum = spec.get("constraints", {}).get("enum")
            if enum:
                hits = [v for v in enum if needle in str(v).lower()]
                if hits:
                    tests.append(f"f{i} IN ({', '.join('?' for _ in hits)})")
                    params += hits
            else:
                tests.append(f"f{i} ILIKE ? ESCAPE '\\'")
                params.append(pattern)
        return " OR ".join(tests) or "false", params

    def _unknown(self, name: str) -> str:
        return f"no field named {name!r}; fields are {', '.join(self.names)}"


def _parse(spec: dict, key: str, value: str) -> Any:
    """A filter value as the field's type, or a BadQuery naming the parameter."""
    kind, text = field_type(spec), value.strip()
    if not _is_text(value):
        raise BadQuery({key: ["is not valid UTF-8 text"]})
    try:
        if kind in ("integer", "year"):
            number = int(text)
            if not -INT64 <= number < INT64:
                raise ValueError
            return number
        if kind == "number":
            number = float(text)
            if not math.isfinite(number):
                raise ValueError
            return number
        if kind == "date":
            return date.fromisoformat(text)
        if kind == "datetime":
            return datetime.fromisoformat(text)
        if kind == "yearmonth":
            if not YEARMONTH.fullmatch(text):
                raise ValueError
            return text
        if kind == "boolean":
            if text in spec.get("trueValues", DEFAULT_TRUE) or text.lower() == "true":
                return True
            if text in spec.get("falseValues", DEFAULT_FALSE) or text.lower() == "false":
                return False
            raise ValueError
    except ValueError:
        example = {
            "date": "2024-01-31",
            "datetime": "2024-01-31T08:00:00",
            "yearmonth": "2024-01",
            "boolean": "true or false",
            "number": "12.5",
        }.get(kind, "42")
        raise BadQuery({key: [f"{value!r} is not a {kind} (for example {example})"]}) from None
    return value


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, which no database will take
        return False
    return True


def _to_json(spec: dict) -> Any:
    kind = field_type(spec)
    if kind in ("date", "datetime"):
        return lambda v: None if v is None else v.isoformat()
    if kind == "number":
        return lambda v: v if v is None or math.isfinite(v) else None
    return lambda v: v


def _quoted(column: str, plain: bool = False) -> str:
    """SQL for a cell as polars writes it: quoted only when it holds a comma, quote or line end.

    A `plain` column cannot hold those, so only its empty text needs quotes: skipping the
    searches makes a sorted export a sixth faster.
    """
    if plain:
        return f"CASE WHEN {column} = '' THEN '\"\"' ELSE coalesce({column}, '') END"
    return (
        f"CASE WHEN {column} IS NULL THEN '' "
        f"WHEN {column} = '' OR contains({column}, ',') OR contains({column}, '\"') "
        f"OR contains({column}, chr(10)) OR contains({column}, chr(13)) "
        f"THEN '\"' || replace({column}, '\"', '\"\"') || '\"' ELSE {column} END"
    )


def _plain(spec: dict) -> bool:
    """Whether the schema rules out commas, quotes and line ends in the field's published text.

    True for numbers, dates and booleans in their default forms, and for strings limited to
    values without them; a custom format, separator or true/false word could hold a comma.
    """
    if any(spec.get(key) for key in ("groupChar", "decimalChar", "trueValues", "falseValues")):
        return False
    if field_type(spec) in ("integer", "number", "boolean", "year", "date", "yearmonth"):
        return spec.get("format", "default") == "default" and spec.get("bareNumber", True)
    enum = (spec.get("constraints") or {}).get("enum")
    return bool(enum) and all(isinstance(v, str) and not re.search(r'[,"\r\n]', v) for v in enum)


def _quote_cell(text: str) -> str:
    if text == "" or any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text
