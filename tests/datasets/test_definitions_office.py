"""The records office sees definitions added, changed or broken, without a restart."""

from __future__ import annotations

import time

import pytest

from portal.config import Config
from tests.conftest import login
from tests.datasets.test_definitions import _write


@pytest.fixture
def config(tmp_path, database_url):  # noqa: ANN001, ANN201
    _write(tmp_path)
    return Config.from_env(
        {},
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret-key",
        testing=True,
        schemas_dir=tmp_path / "schemas",
        publishers_dir=tmp_path / "publishers",
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_office_shows_new_and_broken_definitions_without_a_restart(client, officer, tmp_path):
    login(client)
    page = client.get("/office/").get_data(as_text=True)
    assert "Definitions that do not load" not in page
    assert "Stops" in page

    _write(tmp_path, "searches", meta="title: Searches\n")
    _write(tmp_path, "half-written", entry="dataset: half-written\nresources:\n  stops:\n")
    time.sleep(1.1)  # definition files are looked at again at most once a second
    page = client.get("/office/").get_data(as_text=True)

    assert "Searches" in page and "Stops" in page
    assert "Definitions that do not load" in page
    assert "<strong>half-written</strong>" in page
    assert "half-written.yaml:3: resources.stops: None is not of type" in page
