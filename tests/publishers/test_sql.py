"""SQL sources against a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import hashlib
import socket
import sqlite3
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.errors import SourceUnavailable, SourceUnreadable
from publishers.connectors import fetch, read_table
from tests.support.postgres import PostgresServer

QUERY = """
    SELECT incident_no AS "IncidentNo", district AS "District", amount, occurred, note
    FROM incidents
    WHERE note IS NULL OR note NOT LIKE '%test%'
    ORDER BY incident_no
"""


def sqlite_replica(path: Path) -> Path:
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE incidents (incident_no INTEGER, district TEXT, amount REAL,"
            " occurred TEXT, note TEXT)"
        )
        db.executemany(
            "INSERT INTO incidents VALUES (?, ?, ?, ?, ?)",
            [
                (1001, "1", 12.0, "2024-03-01", None),
                (1002, "2", 12.5, "2024-03-02", "time 10:30, café"),
                (1003, "2", 1.0, "2024-03-03", "a test row"),
            ],
        )
    return path


def test_a_query_on_a_sqlite_file_becomes_a_csv(workdir: Path, base_dir: Path) -> None:
    sqlite_replica(base_dir / "replica.db")
    source = {"type": "sql", "url": "sqlite:///replica.db", "query": QUERY}

    fetched = fetch(source, workdir, base_dir=base_dir)

    assert fetched.path is not None
    raw = fetched.path.read_bytes()
    assert fetched.sha256 == hashlib.sha256(raw).hexdigest()
    assert fetched.size == len(raw)
    assert raw.decode("utf-8").splitlines()[0] == "IncidentNo,District,amount,occurred,note"
    assert "replica.db" in fetched.description
    assert read_table(fetched.path, source, workdir).collect().rows() == [
        ("1001", "1", "12", "2024-03-01", None),
        ("1002", "2", "12.5", "2024-03-02", "time 10:30, café"),
    ]


def test_the_same_rows_give_the_same_hash(workdir: Path, base_dir: Path) -> None:
    sqlite_replica(base_dir / "replica.db")
    source = {"type": "sql", "url": "sqlite:///replica.db", "query": QUERY}

    first = fetch(source, workdir / "one", base_dir=base_dir)
    second = fetch(source, workdir / "two", base_dir=base_dir)

    assert first.sha256 == second.sha256


def test_a_missing_sqlite_file_is_unavailable_and_not_created(
    workdir: Path, base_dir: Path
) -> None:
    source = {"type": "sql", "url": "sqlite:///gone.db", "query": "SELECT 1"}

    with pytest.raises(SourceUnavailable, match="SQLite database file .*gone.db does not exist"):
        fetch(source, workdir, base_dir=base_dir)
    assert not (base_dir / "gone.db").exists()


def test_a_broken_query_is_unreadable(workdir: Path, base_dir: Path) -> None:
    sqlite_replica(base_dir / "replica.db")
    source = {"type": "sql", "url": "sqlite:///replica.db", "query": "SELECT * FROM arrests"}

    with pytest.raises(SourceUnreadable, match="the query failed on SQLite file .*no such table"):
        fetch(source, workdir, base_dir=base_dir)


def test_an_unreachable_database_names_the_host_but_never_the_password(
    workdir: Path, base_dir: Path
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = {
        "type": "sql",
        "url": f"postgresql+psycopg://reporter:${{DB_PASSWORD}}@127.0.0.1:{port}/rms",
        "query": "SELECT 1",
    }

    with pytest.raises(SourceUnavailable) as error:
        fetch(source, workdir, base_dir=base_dir, variables={"DB_PASSWORD": "hunter2-secret"})
    message = str(error.value)
    assert f"could not connect to the database at 127.0.0.1:{port}/rms" in message
    assert "hunter2-secret" not in message


@pytest.mark.postgres
def test_a_query_on_postgresql_streams_every_row(
    postgres: PostgresServer, workdir: Path, base_dir: Path
) -> None:
    url = postgres.create_database(f"rms_{uuid.uuid4().hex[:8]}")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE TABLE calls (id integer, district text, minutes numeric(6,2),"
                " received timestamp, priority boolean)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO calls SELECT n, 'D' || (n % 5), n / 4.0,"
                " timestamp '2024-03-01 00:00' + n * interval '1 minute', n % 2 = 0"
                " FROM generate_series(1, 2500) AS n"
            )
        )
    engine.dispose()
    source = {
        "type": "sql",
        "url": url,
        "query": "SELECT * FROM calls WHERE district LIKE 'D%' ORDER BY id",
    }

    fetched = fetch(source, workdir, base_dir=base_dir)

    assert fetched.path is not None
    table = read_table(fetched.path, source, workdir).collect()
    assert table.height == 2500
    assert table.columns == ["id", "district", "minutes", "received", "priority"]
    assert table.row(0) == ("1", "D1", "0.25", "2024-03-01T00:01:00", "false")
    assert table.row(3) == ("4", "D4", "1", "2024-03-01T00:04:00", "true")
