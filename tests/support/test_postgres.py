"""Tests for the throwaway PostgreSQL server the rest of the suite runs against."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from .postgres import PostgresServer

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    with PostgresServer.start(tmp_path_factory.mktemp("postgres")) as pg:
        yield pg


def _accepts_connections(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _roundtrip(url: str, rows: list[dict[str, object]]) -> list[tuple[object, ...]]:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE incidents (id integer PRIMARY KEY, district text)"))
            conn.execute(sa.text("INSERT INTO incidents VALUES (:id, :district)"), rows)
        with engine.connect() as conn:
            return list(conn.execute(sa.text("SELECT id, district FROM incidents ORDER BY id")))
    finally:
        engine.dispose()


def test_two_databases_hold_their_own_rows(server: PostgresServer) -> None:
    north = server.create_database("north")
    south = server.create_database("south")

    assert north == f"postgresql+psycopg://postgres@127.0.0.1:{server.port}/north"
    assert south.endswith(f":{server.port}/south")
    assert _roundtrip(north, [{"id": 1, "district": "N1"}, {"id": 2, "district": "N2"}]) == [
        (1, "N1"),
        (2, "N2"),
    ]
    # The same table name in the other database starts empty and keeps its own rows.
    assert _roundtrip(south, [{"id": 7, "district": "S7"}]) == [(7, "S7")]


def test_server_speaks_utf8_and_runs_fast_throwaway_settings(server: PostgresServer) -> None:
    engine = sa.create_engine(server.url)
    try:
        with engine.connect() as conn:
            settings = dict(
                conn.execute(
                    sa.text(
                        "SELECT name, setting FROM pg_settings WHERE name IN "
                        "('fsync', 'synchronous_commit', 'full_page_writes', 'server_encoding')"
                    )
                ).all()
            )
            district = conn.execute(sa.text("SELECT 'Złota Góra – Nord'")).scalar_one()
    finally:
        engine.dispose()

    assert settings == {
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "server_encoding": "UTF8",
    }
    assert district == "Złota Góra – Nord"


def test_server_never_runs_as_root(server: PostgresServer) -> None:
    owner = Path(f"/proc/{server.pid}").stat().st_uid

    assert owner != 0
    if os.geteuid() != 0:
        assert owner == os.geteuid()


def test_drop_database_removes_it(server: PostgresServer) -> None:
    url = server.create_database("dropped")
    server.drop_database("dropped")

    with pytest.raises(sa.exc.OperationalError, match="does not exist"):
        sa.create_engine(url).connect()


def test_database_names_must_be_plain_identifiers(server: PostgresServer) -> None:
    with pytest.raises(ValueError, match="plain database name"):
        server.create_database('x"; DROP DATABASE postgres; --')


def test_stop_closes_the_port_and_removes_the_data(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    with PostgresServer.start(tmp_path_factory.mktemp("stopped")) as pg:
        port, data_dir = pg.port, pg.data_dir
        assert _accepts_connections(port)
        assert (data_dir / "PG_VERSION").exists()

    assert not _accepts_connections(port)
    assert not data_dir.exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(host="127.0.0.1", port=port, user="postgres", connect_timeout=5)
    pg.stop()  # a second stop is harmless


def test_missing_binaries_are_named(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()

    with pytest.raises(RuntimeError, match="initdb, pg_ctl, postgres") as error:
        PostgresServer.start(tmp_path / "pg", bin_dir=empty)
    assert str(empty) in str(error.value)


def test_a_server_that_fails_to_start_reports_its_log(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    base_dir = tmp_path_factory.mktemp("broken")

    with pytest.raises(RuntimeError, match="shared_buffers") as error:
        PostgresServer.start(base_dir, settings={"shared_buffers": "lots"})
    assert "did not start" in str(error.value)
