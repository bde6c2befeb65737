"""Publishing puts the reviewed bytes in place, each file hashed once, the zip built once."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest

from portal.releases.publishing import StagedFilesChanged
from portal.storage import LocalStorage
from tests.flow import approve, run


def staged_folder(portal, result):  # noqa: ANN001, ANN201
    return LocalStorage(portal.config.data_dir).staged(result.candidate.staged_dir)


def test_the_version_files_and_zip_hold_the_reviewed_bytes(portal, client, officer):
    result = run(portal, "tiny")
    staged = {
        p.name: p.read_bytes() for p in staged_folder(portal, result).iterdir() if p.is_file()
    }

    version = approve(portal, officer, "tiny")

    served = {}
    for item in version.files:
        body = client.get(f"/datasets/tiny/v1/{item.filename}").data
        assert hashlib.sha256(body).hexdigest() == item.sha256
        assert len(body) == item.size
        served[item.filename] = body
    for name, body in staged.items():
        assert served[name] == body
    with zipfile.ZipFile(io.BytesIO(served["tiny.zip"])) as bundle:
        # The data package: its descriptor and tables (CSV, and Parquet); JSON downloads apart.
        tables = {name for name in staged if not name.endswith(".json")}
        assert sorted(bundle.namelist()) == sorted({*tables, "datapackage.json"})
        for name in bundle.namelist():
            assert bundle.read(name) == served[name], name


def test_a_staged_file_changed_after_the_run_is_not_published(portal, officer):
    result = run(portal, "tiny")
    table = staged_folder(portal, result) / "stops.csv"
    table.write_bytes(table.read_bytes() + b"2026-12,1\r\n")

    with pytest.raises(StagedFilesChanged, match="staged file stops.csv changed since review"):
        approve(portal, officer, "tiny")

    assert not (portal.config.data_dir / "versions" / "tiny" / "v1").exists()


def test_a_zip_from_staging_that_no_longer_matches_is_rebuilt(portal, client, officer):
    result = run(portal, "tiny")
    folder = staged_folder(portal, result)
    built = folder / ".bundle" / "files.zip"
    with zipfile.ZipFile(built) as bundle:
        members = {name: bundle.read(name) for name in bundle.namelist()}
    members["stops.csv"] += b"2026-12,1\r\n"
    with zipfile.ZipFile(built, "w") as bundle:
        for name, body in members.items():
            bundle.writestr(name, body)

    approve(portal, officer, "tiny")

    archive = client.get("/datasets/tiny/v1/tiny.zip").data
    with zipfile.ZipFile(io.BytesIO(archive)) as bundle:
        published = bundle.read("stops.csv")
    assert published == client.get("/datasets/tiny/v1/stops.csv").data
    assert published == (folder / "stops.csv").read_bytes()
