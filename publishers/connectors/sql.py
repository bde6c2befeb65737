"""SQL connector: run the source's query and stream its rows into a UTF-8 CSV in the workdir."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from sqlalchemy import create_engine
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from portal.errors import DefinitionError, SourceUnavailable, SourceUnreadable
from publishers.connectors.sources import Fetched, number_option, save_chunks, substitute
from publishers.connectors.tables import cell_text

DEFAULT_TIMEOUT = 30.0
_BATCH = 1000


def fetch_sql(
    source: Mapping[str, Any],
    workdir: Path,
    base_dir: Path,
    variables: Mapping[str, str] | None,
) -> Fetched:
    """Run the query read-only and save its result, header first, as query-result.csv."""
    url = _database_url(substitute(source["url"], variables, "url"), base_dir)
    query = substitute(source["query"], variables, "query")
    timeout = number_option(source, "timeout", DEFAULT_TIMEOUT, minimum=1)
    password = url.password
    where = _where(url)
    connect_args: dict[str, Any] = {}
    if url.get_backend_name() == "postgresql":
        connect_args["connect_timeout"] = int(timeout)
    try:
        engine = create_engine(url, poolclass=NullPool, connect_args=connect_args)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise DefinitionError(f"cannot use the database URL for {where}: {exc}") from exc
    try:
        try:
            connection = engine.connect()
        except SQLAlchemyError as exc:
            reason = _reason(exc, password)
            raise SourceUnavailable(
                f"could not connect to the database at {where}: {reason}"
            ) from exc
        with connection:
            target = workdir / "source-query-result.csv"
            sha256, size = save_chunks(_result_csv(connection, query, where, password), target)
    finally:
        engine.dispose()
    return Fetched(False, target, sha256, size, {}, f"SQL query on {where}")


def _result_csv(
    connection: Connection, query: str, where: str, password: str | None
) -> Iterator[bytes]:
    """The query's columns and rows as UTF-8 CSV bytes, a batch at a time."""
    try:
        # no_parameters: the query goes to the driver as written, so '%' and ':' need no escaping.
        result = connection.execution_options(
            stream_results=True, yield_per=_BATCH, no_parameters=True
        ).exec_driver_sql(query)
    except DBAPIError as exc:
        raise SourceUnreadable(f"the query failed on {where}: {_reason(exc, password)}") from exc
    if not result.returns_rows:
        raise DefinitionError(f"the query on {where} returns no rows; it must be a SELECT")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(result.keys()))
    try:
        for batch in result.partitions(_BATCH):
            writer.writerows(
                [["" if v is None else v for v in map(cell_text, row)] for row in batch]
            )
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    except DBAPIError as exc:
        raise SourceUnreadable(
            f"reading the query's rows failed on {where}: {_reason(exc, password)}"
        ) from exc
    yield buffer.getvalue().encode("utf-8")


def _database_url(text: str, base_dir: Path) -> URL:
    """Parse the URL; a SQLite file resolves against base_dir and is opened read-only."""
    try:
        url = make_url(text)
    except ArgumentError as exc:
        raise DefinitionError("the sql source's `url` is not a database URL") from exc
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return url
    path = Path(url.database)
    if not path.is_absolute():
        path = base_dir / path
    if not path.is_file():
        raise SourceUnavailable(f"the SQLite database file {path} does not exist")
    # mode=ro: reading a source must never create or change it.
    return url.set(
        database=f"file:{quote(str(path.resolve()))}", query={"mode": "ro", "uri": "true"}
    )


def _where(url: URL) -> str:
    """Host, port and database, never the password."""
    if url.get_backend_name() == "sqlite":
        return f"SQLite file {unquote((url.database or '').removeprefix('file:'))}"
    host = url.host or "localhost"
    port = f":{url.port}" if url.port else ""
    return f"{host}{port}/{url.database or ''}"


def _reason(exc: SQLAlchemyError, password: str | None) -> str:
    """The driver's own first line, without the SQL statement or the password."""
    original = getattr(exc, "orig", None) or exc
    text = (str(original).strip().splitlines() or [type(original).__name__])[0]
    if password:
        text = text.replace(password, "***")
    return text
