"""Migrations build the whole schema from an empty database, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from portal.db import Base, alembic_config, current, make_engine, upgrade


def test_upgrade_from_empty_creates_every_table_and_downgrade_removes_them(database_url):
    assert current(database_url) is None

    upgrade(database_url)

    engine = make_engine(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        assert current(database_url) is not None
        command.downgrade(alembic_config(database_url), "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_twice_is_harmless(database_url):
    upgrade(database_url)
    upgrade(database_url)
    assert current(database_url) is not None


def test_migrations_match_the_models(database_url):
    """A model change without its migration fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_the_database_refuses_to_change_or_delete_audit_events(database_url):
    import pytest
    from sqlalchemy.exc import DBAPIError

    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO audit_events (at, actor, action, object_type, details) "
                "VALUES ('2026-01-01 00:00:00', 'a@example.org', 'login', 'user', '{}')"
            )
        for statement in (
            "UPDATE audit_events SET actor = 'someone else'",
            "DELETE FROM audit_events",
        ):
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
                connection.exec_driver_sql(statement)
        with engine.connect() as connection:
            assert (
                connection.exec_driver_sql("SELECT actor FROM audit_events").scalar_one()
                == "a@example.org"
            )
    finally:
        engine.dispose()
