"""Query engine for published tables: filter, sort, page, count and export a resource version.

Each published CSV gets a DuckDB file at publish time (`portal.query_index`): a columnar
store answers filter + sort + count on a million rows in milliseconds. A missing index (a
version published before this code, or of an older FORMAT) is built on first use.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from portal.errors import PortalError
from portal.models import Version, VersionFile
from portal.query.cells import BadQuery, is_text, parse, plain, quote_cell, quoted, to_json
from portal.query.index import (
    build_index,
    connect,
    field_type,
    index_path,
)
from portal.query.recent import Recent
from portal.storage import LocalStorage

log = logging.getLogger(__name__)

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
RANGE_TYPES = {"integer", "number", "year", "date", "datetime", "yearmonth"}
OPEN_TABLES = 32  # DuckDB files kept open per process
EXPORT_BATCH = 5000


class UnknownResource(PortalError):
    """The version has no table of that name."""


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
        # Fields stored as ENUMs (portal.query.index) sort by their text, as the others do,
        # not by their place in the schema's list.
        columns = self._db.execute("SELECT column_name, data_type FROM duckdb_columns() "
                                   "WHERE table_name = 'rows'").fetchall()  # fmt: skip
        self._sorted_as_text = {name for name, kind in columns if kind.startswith("ENUM")}
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
        convert = [to_json(self.fields[self._index[n]]) for n in names]
        rows = [{n: c(v) for n, c, v in zip(names, convert, row, strict=True)} for row in found]
        page = Page(total, query.limit, query.offset, names, rows)
        if query.limit <= PAGE_CACHE_LIMIT:
            self._pages.put(key, page)
        return page

    def facet_counts(self, query: Query, name: str, values: Sequence[str]) -> list[int]:
        """For each value (as a filter gives it), how many rows `query` plus `name=value`
        matches: one GROUP BY over `name`, not one count per value."""
        return self.choice_counts(query.filters, query.q, {name: values})[name]

    def choice_counts(
        self,
        filters: Mapping[str, Sequence[str]],
        q: str | None,
        choices: Mapping[str, Sequence[str]],
    ) -> dict[str, list[int]]:
        """`facet_counts` of several fields at once, each under the filters on the other
        fields (what choosing one of its values would show). Fields under the same filters
        (every field not filtered itself) are counted in one scan, by GROUPING SETS."""
        wanted: dict[tuple, list[str]] = {}
        for name in choices:
            others = {k: v for k, v in filters.items() if k != name}
            _, where, params, _ = self._compile(Query(others, q))
            wanted.setdefault((where, tuple(params)), []).append(name)
        found: dict[str, dict] = {}
        for (where, params), names in wanted.items():
            missing = []
            for name in names:
                if where == "true" and name in self.facets:  # counted when the index was built
                    found[name] = {item["value"]: item["count"] for item in self.facets[name]}
                    continue
                kept = self._counts.get(("facet", name, where, params))
                if kept is None:
                    missing.append(name)
                else:
                    found[name] = kept
            for name, counts in self._group_counts(missing, where, list(params)).items():
                self._counts.put(("facet", name, where, params), counts)
                found[name] = counts
        # Each value read as the filter reads it, so "1", "1.0" or "true" find their rows.
        return {
            name: [found[name].get(parse(self._spec(name), name, v), 0) for v in values]
            for name, values in choices.items()
        }

    def _group_counts(self, names: list[str], where: str, params: list) -> dict[str, dict]:
        """Each field's rows per value under `where`, in one scan."""
        if not names:
            return {}
        columns = [f"f{self._index[name]}" for name in names]
        if len(columns) == 1:
            sql = f"SELECT {columns[0]}, count(*) FROM rows WHERE {where} GROUP BY {columns[0]}"
            with self._db.cursor() as cursor:
                return {names[0]: dict(cursor.execute(sql, params).fetchall())}
        listed = ", ".join(columns)
        sets = ", ".join(f"({column})" for column in columns)
        sql = (
            f"SELECT GROUPING_ID({listed}), {listed}, count(*) FROM rows WHERE {where} "
            f"GROUP BY GROUPING SETS ({sets})"
        )
        # GROUPING_ID has a bit per column, the first column's highest, set where the row
        # is not grouped by that column: the row of set i has every bit set but its own.
        every = (1 << len(columns)) - 1
        position = {every ^ (1 << (len(columns) - 1 - i)): i for i in range(len(columns))}
        counts: dict[str, dict] = {name: {} for name in names}
        with self._db.cursor() as cursor:
            for grouping, *values, count in cursor.execute(sql, params).fetchall():
                i = position[grouping]
                counts[names[i]][values[i]] = count
        return counts

    def _spec(self, name: str) -> dict:
        return self.fields[self._index[name]]

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
            quoted(self._text(n), plain(self.fields[self._index[n]])) for n in names
        )
        # One concat() builds each line in one go; chained || copies it once per cell.
        sql = f"SELECT concat({cells}) FROM rows WHERE {where}{order}"
        header = (",".join(quote_cell(n) for n in names) + "\r\n").encode()
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
        if query.q and not is_text(query.q):
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
                column = f"f{self._index[name]}"
                if column in self._sorted_as_text:
                    column = f"CAST({column} AS VARCHAR)"
                order.append(f"{column}{' DESC' if descending else ''}")
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
            return f"f{i} {'>=' if bound == '__min' else '<='} ?", [parse(spec, key, values[0])]
        present = [parse(spec, key, v) for v in values if v != ""]
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
