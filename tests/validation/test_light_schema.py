"""Plain schemas are read without frictionless, and give frictionless' answers cell for cell."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import frictionless.errors
import pytest
from frictionless import Schema
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.validation.light import light_schema
from portal.validation.report import TITLES
from tests.validation.agreement import essence

ROOT = Path(__file__).resolve().parents[2]
PLAIN = {
    "fields": [
        {"name": "id", "type": "string", "constraints": {"required": True, "pattern": "A[0-9]+"}},
        {"name": "code", "constraints": {"enum": ["a", "b", " c"], "minLength": 1}},
        {"name": "short", "type": "string", "constraints": {"maxLength": 3}},
        {"name": "count", "type": "integer", "constraints": {"minimum": 1, "maximum": 50}},
        {"name": "level", "type": "integer", "constraints": {"enum": [1, 2, 3]}},
        {"name": "flag", "type": "boolean", "constraints": {"required": True}},
        {"name": "day", "type": "date", "format": "default"},
        {"name": "amount", "type": "number"},
        {"name": "other", "type": "any", "constraints": {"required": False}},
    ],
    "primaryKey": "id",
    "missingValues": ["", "NA", "-"],
}
CELLS = st.one_of(
    st.text(max_size=6),
    st.sampled_from(
        [
            "",
            "NA",
            "-",
            " 12 ",
            "+3",
            "1_000",
            "٣",
            "0",
            "51",
            "2",
            "7",
            "-2",
            "-1",
            "A12",
            "A1\n",
            "true",
            "True",
            "TRUE",
            "1",
            "false",
            "no",
            "2024-02-29",
            "2023-02-29",
            "0001-01-01",
            "2024-1-5",
            " 2024-01-05",
            "1.5",
            "1e3",
            "nan",
            "a",
            " c",
            "abcd",
            "\u00a0",
        ]
    ),  # fmt: skip
)


def test_error_titles_are_frictionless_titles() -> None:
    expected = {
        cls.type: cls.title
        for cls in vars(frictionless.errors).values()
        if isinstance(cls, type) and isinstance(getattr(cls, "type", None), str)
    }
    assert expected == TITLES


@pytest.mark.parametrize(
    "descriptor",
    [
        {"fields": [{"name": "n", "type": "number", "constraints": {"minimum": 1}}]},
        {"fields": [{"name": "d", "type": "date", "constraints": {"minimum": "2020-01-01"}}]},
        {"fields": [{"name": "e", "type": "string", "format": "email"}]},
        {"fields": [{"name": "i", "type": "integer", "bareNumber": False}]},
        {"fields": [{"name": "i", "type": "integer", "constraints": {"minimum": "1"}}]},
        {"fields": [{"name": "b", "type": "boolean", "trueValues": ["Y"]}]},
        {"fields": [{"name": "t", "type": "datetime"}]},
        {"fields": [{"name": "a"}], "foreignKeys": [{"fields": "a", "reference": {"fields": "a"}}]},
        {"fields": [{"name": "a"}], "primaryKey": ["b"]},
        {"fields": [{"name": "a"}, {"name": "a"}]},
        {"fields": [{"name": "i", "type": "integer", "constraints": {"exclusiveMinimum": 1}}]},
        {"fields": [{"name": "s", "constraints": {"pattern": "(unclosed"}}]},
        {"fields": [{"name": "s", "constraints": {"enum": []}}]},
    ],
)
def test_anything_else_is_left_to_frictionless(descriptor: dict) -> None:
    assert light_schema(descriptor) is None


@settings(max_examples=300, deadline=None)
@given(cells=st.lists(CELLS, min_size=1, max_size=20))
def test_every_cell_reads_as_frictionless_reads_it(cells: list[str]) -> None:
    light = light_schema(PLAIN)
    real = Schema.from_descriptor(PLAIN)
    assert light is not None
    for ours, theirs in zip(light.fields, real.fields, strict=True):
        assert ours.name == theirs.name
        assert ours.type == theirs.type and ours.format == theirs.format
        assert ours.supported_constraints == theirs.supported_constraints
        read_ours, read_theirs = ours.create_cell_reader(), theirs.create_cell_reader()
        for cell in cells:
            # repr: a NaN read is not equal to itself
            assert repr(read_ours(cell)) == repr(read_theirs(cell)), (ours.name, cell)


def test_validating_a_plain_schema_never_imports_frictionless(tmp_path: Path) -> None:
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({**PLAIN, "fields": PLAIN["fields"][:7]}))
    table = tmp_path / "table.csv"
    table.write_text(
        "id,code,short,count,level,flag,day\n"
        "A1,a,ab,3,1,true,2024-01-05\n"
        "B2,z,abcd,0,9,maybe,2024-02-30\n"  # an error in every field
        "A1,NA,,NA,,,\n",
        encoding="utf-8",
    )
    script = (
        "import json, sys; from pathlib import Path; "
        "from portal.validation import validate_table; "
        "from portal.validation.table_schema import read_schema; "
        "report = validate_table(read_schema(Path(sys.argv[1])), Path(sys.argv[2])); "
        "print(json.dumps({'frictionless': 'frictionless' in sys.modules, 'report': report}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(schema), str(table)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    said = json.loads(done.stdout)

    from portal.validation import validate_table_reference

    assert said["frictionless"] is False
    reference = validate_table_reference(json.loads(schema.read_text()), table)
    assert essence(said["report"]) == essence(reference)
    cells = [group for group in said["report"]["groups"] if group["type"] != "primary-key"]
    assert cells == [g for g in reference["groups"] if g["type"] != "primary-key"]  # notes too
    assert said["report"]["errorCount"] >= 8
