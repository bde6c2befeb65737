"""File and upload sources: paths under the data folder, globs combined in name order, uploads."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from portal.errors import DefinitionError, SourceUnavailable, SourceUnreadable
from publishers.connectors import fetch, read_table


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_a_relative_path_resolves_against_the_data_folder(workdir: Path, base_dir: Path) -> None:
    data = b"IncidentNo,District\n1001,1\n"
    write(base_dir / "demo-sources" / "rms-export.csv", data)
    source = {"type": "file", "path": "demo-sources/rms-export.csv"}

    fetched = fetch(source, workdir, base_dir=base_dir)

    assert not fetched.unchanged
    assert fetched.path is not None and fetched.path.parent == workdir
    assert fetched.path.read_bytes() == data
    assert fetched.sha256 == hashlib.sha256(data).hexdigest()
    assert fetched.size == len(data)
    assert fetched.description == "file demo-sources/rms-export.csv"


def test_a_glob_combines_every_match_in_name_order(workdir: Path, base_dir: Path) -> None:
    write(base_dir / "exports" / "2024-02.csv", b"id,month\r\n3,feb\r\n4,feb\r\n")
    write(base_dir / "exports" / "2024-01.csv", b"\xef\xbb\xbfid,month\n1,jan\n2,jan")
    write(base_dir / "exports" / "2024-03.csv", b"id,month\n")  # header only: adds no rows
    write(base_dir / "exports" / "notes.txt", b"not part of it")
    source = {"type": "file", "path": "exports/2024-*.csv"}

    fetched = fetch(source, workdir, base_dir=base_dir)

    assert fetched.path is not None
    assert fetched.sha256 == hashlib.sha256(fetched.path.read_bytes()).hexdigest()
    assert "3: 2024-01.csv, 2024-02.csv, 2024-03.csv" in fetched.description
    table = read_table(fetched.path, source, workdir).collect()
    assert table.columns == ["id", "month"]
    assert table.rows() == [("1", "jan"), ("2", "jan"), ("3", "feb"), ("4", "feb")]


def test_a_glob_refuses_files_whose_headers_differ(workdir: Path, base_dir: Path) -> None:
    write(base_dir / "exports" / "a.csv", b"id,month\n1,jan\n")
    write(base_dir / "exports" / "b.csv", b"id,district\n2,D1\n")

    with pytest.raises(SourceUnreadable, match="b.csv does not have the same header as a.csv"):
        fetch({"type": "file", "path": "exports/*.csv"}, workdir, base_dir=base_dir)


def test_a_glob_cannot_combine_workbooks(workdir: Path, base_dir: Path) -> None:
    write(base_dir / "a.xlsx", b"PK")
    write(base_dir / "b.xlsx", b"PK")

    with pytest.raises(DefinitionError, match="only CSV files can be combined"):
        fetch({"type": "file", "path": "*.xlsx"}, workdir, base_dir=base_dir)


def test_nothing_matching_names_the_pattern(workdir: Path, base_dir: Path) -> None:
    with pytest.raises(SourceUnavailable, match=r"no file matches exports/\*.csv"):
        fetch({"type": "file", "path": "exports/*.csv"}, workdir, base_dir=base_dir)
    with pytest.raises(SourceUnavailable, match="file not found: exports/may.csv"):
        fetch({"type": "file", "path": "exports/may.csv"}, workdir, base_dir=base_dir)


def test_the_path_can_use_variables(workdir: Path, base_dir: Path) -> None:
    write(base_dir / "2026" / "budget.csv", b"year\n2026\n")
    source = {"type": "file", "path": "${YEAR}/budget.csv"}

    fetched = fetch(source, workdir, base_dir=base_dir, variables={"YEAR": "2026"})

    assert fetched.path is not None and fetched.path.read_bytes() == b"year\n2026\n"


def test_an_upload_is_copied_into_the_workdir(tmp_path: Path, workdir: Path) -> None:
    upload = write(tmp_path / "inbox" / "Staffing March.csv", b"division,sworn\nPatrol,120\n")

    fetched = fetch({"type": "upload"}, workdir, base_dir=tmp_path, upload=upload)

    assert fetched.path is not None and fetched.path.parent == workdir
    assert fetched.path.read_bytes() == upload.read_bytes()
    assert fetched.description == "upload Staffing March.csv"
    assert read_table(fetched.path, {"type": "upload"}, workdir).collect().rows() == [
        ("Patrol", "120")
    ]


def test_an_upload_replaces_any_other_source(tmp_path: Path, workdir: Path) -> None:
    upload = write(tmp_path / "fixed.csv", b"id\n7\n")
    source = {"type": "http", "url": "http://records.example.invalid/x.csv"}

    fetched = fetch(source, workdir, base_dir=tmp_path, upload=upload)

    assert fetched.path is not None and fetched.path.read_bytes() == b"id\n7\n"


def test_an_upload_source_without_an_upload_says_so(workdir: Path, base_dir: Path) -> None:
    with pytest.raises(SourceUnavailable, match="no file uploaded for this source"):
        fetch({"type": "upload", "format": "xlsx"}, workdir, base_dir=base_dir)


def test_an_unknown_source_type_is_a_definition_error(workdir: Path, base_dir: Path) -> None:
    with pytest.raises(DefinitionError, match="unknown source type 'ftp'"):
        fetch({"type": "ftp", "path": "x"}, workdir, base_dir=base_dir)
    with pytest.raises(DefinitionError, match="a file source needs `path`"):
        fetch({"type": "file"}, workdir, base_dir=base_dir)
