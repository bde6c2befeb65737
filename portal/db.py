"""Database engine, sessions and migrations: SQLite (WAL) by default, PostgreSQL by DATABASE_URL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from portal.config import Config

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig


class Base(DeclarativeBase):
    """Declarative base of every model."""


# A scheduler's fencing check (portal.scheduler.lease.Fence): called in the transaction that
# makes a change, it raises unless that scheduler still holds the lease it started under.
FenceCheck = Callable[[Session], None]


def no_fence(_session: Session) -> None:
    """The fence of callers that are no scheduler (the CLI, the web): nothing to check."""


# How long a SQLite writer waits for the one write lock before it gives up (the web then
# answers 503 with Retry-After).
SQLITE_BUSY_SECONDS = 30


def make_engine(database_url: str) -> Engine:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
        # WAL lets readers (web workers) carry on while a publisher writes.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_SECONDS * 1000)}")
        # FULL: a committed publish survives a power loss (its files are already served).
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    return engine


def begin_write(session: Session) -> None:
    """Make the session's transaction a writer now, before it reads what it will change.

    On SQLite this is BEGIN IMMEDIATE (the database's one write lock, so nobody changes the
    rows read next until commit); on PostgreSQL callers lock the rows they read with
    SELECT … FOR UPDATE, and this does nothing. A transaction that already wrote holds the
    lock anyway.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    if not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """An engine and its session factory, one per process and configuration."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.engine = make_engine(config.database_url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with self.sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()


# -- migrations (Alembic), run by `portal db upgrade` and by the tests -------------------------

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Create or migrate the database to `revision` (the newest by default)."""
    from alembic import command

    command.upgrade(alembic_config(database_url), revision)


def current(database_url: str) -> str | None:
    """The database's migration revision, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
