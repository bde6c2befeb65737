"""Each version's datapackage.json and zip pass the real `frictionless validate`."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import frictionless


def frictionless_validate(target: Path) -> dict:
    """The report of the frictionless command line on a descriptor or a zipped package."""
    finished = subprocess.run(
        [sys.executable, "-m", "frictionless", "validate", "--json", target.name],
        cwd=target.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert finished.stdout, finished.stderr
    return json.loads(finished.stdout)


def test_the_downloaded_package_is_a_valid_tabular_data_package(served_v1, tmp_path):
    client = served_v1
    folder = tmp_path / "download"
    folder.mkdir()
    descriptor = client.get("/datasets/use-of-force/v1/datapackage.json").json
    (folder / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    for resource in descriptor["resources"]:
        data = client.get(f"/datasets/use-of-force/v1/{resource['path']}").data
        (folder / resource["path"]).write_bytes(data)

    report = frictionless_validate(folder / "datapackage.json")

    assert report["valid"], json.dumps(report["errors"] + report["tasks"], indent=1)[:3000]
    assert {task["name"] for task in report["tasks"]} == {"incidents", "monthly-summary"}
    assert descriptor["profile"] == "tabular-data-package"
    assert descriptor["name"] == "use-of-force"
    assert descriptor["id"] == "http://127.0.0.1:8000/datasets/use-of-force/v1/datapackage.json"
    assert descriptor["licenses"] == [
        {
            "name": "ODC-PDDL-1.0",
            "path": "https://opendatacommons.org/licenses/pddl/1-0/",
            "title": "Open Data Commons Public Domain Dedication and License",
        }
    ]
    assert descriptor["contributors"][0]["title"] == "Example City Police Department"
    for resource in descriptor["resources"]:
        assert resource["profile"] == "tabular-data-resource"
        assert resource["hash"].startswith("sha256:") and len(resource["hash"]) == 7 + 64
        assert resource["bytes"] == (folder / resource["path"]).stat().st_size
        assert resource["schema"]["fields"]


def test_the_version_zip_is_a_valid_zipped_data_package(served_v1, tmp_path):
    client = served_v1
    archive = tmp_path / "use-of-force.zip"
    archive.write_bytes(client.get("/datasets/use-of-force/latest/use-of-force.zip").data)

    report = frictionless_validate(archive)

    assert report["valid"], json.dumps(report["errors"] + report["tasks"], indent=1)[:3000]
    assert {task["name"] for task in report["tasks"]} == {"incidents", "monthly-summary"}
    with zipfile.ZipFile(archive) as bundle:
        assert {"datapackage.json", "incidents.csv", "incidents.parquet"} <= set(bundle.namelist())


def test_a_changed_byte_fails_the_package_checksum(served_v1, tmp_path):
    # The checksums in the descriptor are real: a file altered after publishing is caught.
    client = served_v1
    folder = tmp_path / "download"
    folder.mkdir()
    for name in ("datapackage.json", "incidents.csv", "monthly-summary.csv"):
        (folder / name).write_bytes(client.get(f"/datasets/use-of-force/v1/{name}").data)
    altered = (folder / "incidents.csv").read_bytes().replace(b"D1", b"D2", 1)
    (folder / "incidents.csv").write_bytes(altered)

    # In process this time: the same validator as the command line, without its start-up.
    report = frictionless.validate(folder / "datapackage.json")

    assert not report.valid
    assert "hash-count" in {error.type for task in report.tasks for error in task.errors}
