"""New test databases at the newest migration, copied from one migrated once per session.

Running every migration for each test cost 0.3-1 s on SQLite and 0.2-0.5 s on PostgreSQL;
copying a database that `portal.db.upgrade` migrated in this session gives the same
schema and rows (the SQLite file byte for byte, PostgreSQL's `CREATE DATABASE ... TEMPLATE`).
A database that is not new (a file that exists, tables already there) is upgraded as before.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from portal.db import upgrade
from tests.support.postgres import PostgresServer

TEMPLATE_NAME = "migrated_template"


class MigratedDatabases:
    """Brings new databases to the newest migration; one worker's templates, built lazily."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._sqlite_template: Path | None = None
        self._postgres_template: str | None = None

    def upgrade(self, database_url: str, postgres: Callable[[], PostgresServer]) -> None:
        """`portal.db.upgrade(database_url)`, by copy when the database is new.

        `postgres` gives the session's server (asked only for a PostgreSQL URL).
        """
        url = make_url(database_url)
        if url.get_backend_name() == "sqlite" and url.database:
            target = Path(url.database)
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(self._sqlite(), target)
                return
        elif url.get_backend_name() == "postgresql" and url.database:
            server = postgres()
            if url.port == server.port and _is_empty(server, url.database):
                recreate_from(server, url.database, self._postgres_name(server))
                return
        upgrade(database_url)

    def _sqlite(self) -> Path:
        if self._sqlite_template is None:
            template = self._folder / "migrated.db"
            upgrade(f"sqlite:///{template}")
            # The engine is disposed, so WAL mode left everything in the one file.
            assert not template.with_name("migrated.db-wal").exists()
            self._sqlite_template = template
        return self._sqlite_template

    def _postgres_name(self, server: PostgresServer) -> str:
        if self._postgres_template is None:
            upgrade(server.create_database(TEMPLATE_NAME))
            self._postgres_template = TEMPLATE_NAME
        return self._postgres_template


def _connect(server: PostgresServer, dbname: str) -> psycopg.Connection:
    return psycopg.connect(
        host=server.host, port=server.port, user=server.user, dbname=dbname, autocommit=True
    )


def _is_empty(server: PostgresServer, name: str) -> bool:
    with _connect(server, name) as conn:
        found = conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"
        ).fetchone()
    return found is not None and found[0] == 0


def recreate_from(server: PostgresServer, name: str, template: str) -> None:
    """Drop database `name` and make it again as a copy of `template`."""
    with _connect(server, "postgres") as conn:
        conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(name)))
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )
