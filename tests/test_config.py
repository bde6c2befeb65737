"""Configuration comes from the environment, with defaults and a hard stop without a key."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.config import Config
from portal.errors import ConfigurationError


def test_defaults_put_a_sqlite_database_in_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = Config.from_env({"SECRET_KEY": "k"})

    assert config.data_dir == tmp_path / "instance"
    assert config.database_url == f"sqlite:///{tmp_path / 'instance' / 'portal.db'}"
    assert config.base_url == "http://127.0.0.1:8000"


def test_environment_variables_are_read(tmp_path):
    config = Config.from_env(
        {
            "SECRET_KEY": "k",
            "PORTAL_DATA_DIR": str(tmp_path),
            "DATABASE_URL": "postgresql+psycopg://db/portal",
            "PORTAL_BASE_URL": "https://data.police.example.gov/",
            "PORTAL_SOURCE_RMS_TOKEN": "t0ken",
        }
    )

    assert config.data_dir == Path(tmp_path)
    assert config.database_url == "postgresql+psycopg://db/portal"
    assert config.base_url == "https://data.police.example.gov"
    assert config.source_variables == {
        "RMS_TOKEN": "t0ken",
        "PORTAL_DATABASE_URL": "postgresql+psycopg://db/portal",
    }


def test_a_missing_secret_key_is_a_clear_error_outside_demo_and_debug(tmp_path):
    with pytest.raises(ConfigurationError, match="SECRET_KEY is not set"):
        Config.from_env({})
    folder = {"PORTAL_DATA_DIR": str(tmp_path)}
    assert Config.from_env({**folder, "PORTAL_DEMO": "1"}).secret_key
    assert Config.from_env({**folder, "PORTAL_DEBUG": "true"}).secret_key


def test_a_demo_keeps_one_secret_key_in_its_data_folder(tmp_path):
    demo = {"PORTAL_DATA_DIR": str(tmp_path / "data"), "PORTAL_DEMO": "1"}
    first, second = Config.from_env(demo), Config.from_env(demo)

    key_file = tmp_path / "data" / "secret-key"
    assert first.secret_key == second.secret_key == key_file.read_text().strip()
    assert len(first.secret_key) == 64
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in key_file.parent.iterdir()] == ["secret-key"]  # no temporary left
    # A SECRET_KEY given in the environment still wins, and the file is left alone.
    assert Config.from_env({**demo, "SECRET_KEY": "given"}).secret_key == "given"
    assert (
        Config.from_env({"PORTAL_DATA_DIR": str(tmp_path / "other"), "PORTAL_DEMO": "1"}).secret_key
        != first.secret_key
    )


def test_a_damaged_demo_key_file_is_a_clear_error(tmp_path):
    (tmp_path / "secret-key").write_text("\n")
    with pytest.raises(ConfigurationError, match="no usable secret key"):
        Config.from_env({"PORTAL_DATA_DIR": str(tmp_path), "PORTAL_DEMO": "1"})


def test_the_app_refuses_to_start_without_a_secret_key(monkeypatch):
    from portal import create_app

    for name in ("SECRET_KEY", "PORTAL_DEMO", "PORTAL_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigurationError):
        create_app()


def test_sqlite_runs_in_wal_mode(tmp_path):
    from portal.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'portal.db'}")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()
