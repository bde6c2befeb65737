"""Writes the corpus of broken tables; run by hand: `python make_corpus.py`.

Each case is `<name>.csv` with `<name>.schema.json`; the files are committed, this script
says how they were made and makes new ones.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

HERE = Path(__file__).parent
USE_OF_FORCE = HERE.parents[2] / "schemas" / "use-of-force" / "incidents.schema.json"

TYPED = {
    "fields": [
        {"name": "id", "type": "integer", "constraints": {"required": True}},
        {"name": "name", "type": "string"},
        {"name": "district", "type": "string", "constraints": {"enum": ["D1", "D2", "D3"]}},
        {"name": "score", "type": "number"},
        {"name": "active", "type": "boolean"},
        {"name": "born", "type": "date"},
    ],
    "primaryKey": ["id"],
}
TYPED_HEADER = "id,name,district,score,active,born\n"


def typed(**changes: dict) -> dict:
    """TYPED with some fields' constraints/properties replaced."""
    schema = copy.deepcopy(TYPED)
    for field in schema["fields"]:
        field.update(changes.get(field["name"], {}))
    return schema


def rows(*lines: str) -> str:
    return TYPED_HEADER + "".join(line + "\n" for line in lines)


CASES: dict[str, tuple[dict, str | bytes]] = {
    "valid": (TYPED, rows("1,Ann,D1,2.5,true,2024-03-05", "2,Bob,D2,10,false,2023-12-31")),
    "integer-type": (
        TYPED,
        rows(
            "1,a,D1,1,true,2024-01-01",
            "1.5,b,D1,1,true,2024-01-01",
            "abc,c,D1,1,true,2024-01-01",
            " 7 ,d,D1,1,true,2024-01-01",
            "+3,e,D1,1,true,2024-01-01",
            "1_000,f,D1,1,true,2024-01-01",
            "١٢,g,D1,1,true,2024-01-01",
            "99999999999999999999999,h,D1,1,true,2024-01-01",
        ),
    ),
    "number-type": (
        TYPED,
        rows(
            "1,a,D1,1;5,true,2024-01-01",
            "2,b,D1,abc,true,2024-01-01",
            "3,c,D1,1e3,true,2024-01-01",
            "4,d,D1,.5,true,2024-01-01",
            "5,e,D1,NaN,true,2024-01-01",
            "6,f,D1,Infinity,true,2024-01-01",
            "7,g,D1,  2.50 ,true,2024-01-01",
            "8,h,D1,1.2.3,true,2024-01-01",
            "9,i,D1,-0.0001,true,2024-01-01",
        ),
    ),
    "boolean-default": (
        TYPED,
        rows(
            *(
                f"{i},n,D1,1,{v},2024-01-01"
                for i, v in enumerate(
                    ["true", "True", "TRUE", "1", "0", "false", "yes", "t", "tRUE", " true"], 1
                )
            )
        ),
    ),
    "boolean-custom": (
        typed(active={"trueValues": ["Y"], "falseValues": ["N"]}),
        rows("1,a,D1,1,Y,2024-01-01", "2,b,D1,1,N,2024-01-01", "3,c,D1,1,true,2024-01-01"),
    ),
    "date-formats": (
        TYPED,
        rows(
            *(
                f"{i},n,D1,1,true,{v}"
                for i, v in enumerate(
                    [
                        "2024-03-05",
                        "2024-3-5",
                        "05/03/2024",
                        "2024-02-30",
                        "0000-01-01",
                        "2024-03-05T10:00",
                        " 2024-03-05",
                        "2024-03-05 ",
                        "20240305",
                        "2024-02-29",
                    ],
                    1,
                )
            )
        ),
    ),
    "other-types": (
        {
            "fields": [
                {"name": "seen", "type": "datetime"},
                {"name": "at", "type": "time"},
                {"name": "year", "type": "year"},
                {"name": "month", "type": "yearmonth"},
                {"name": "took", "type": "duration"},
                {"name": "where", "type": "geopoint"},
                {"name": "mail", "type": "string", "format": "email"},
            ]
        },
        "seen,at,year,month,took,where,mail\n"
        '2024-03-05T10:00:00Z,10:00:00,2024,2024-03,P1D,"45.5,-73.6",a@b.org\n'
        "2024-03-05 10:00,25:00:00,24,2024-13,1 day,north,not-an-email\n"
        '2024-03-05T10:00:00+02:00,10:00,abcd,2024,PT1H,"200,5",x@y.z\n',
    ),
    "required-and-missing-values": (
        {
            "fields": [
                {"name": "id", "type": "integer", "constraints": {"required": True}},
                {"name": "name", "type": "string", "constraints": {"required": True}},
                {"name": "note", "type": "string"},
            ],
            "missingValues": ["", "NA", "-"],
        },
        "id,name,note\n1,Ann,x\n2,NA,x\n-,Bob,NA\n4,,\n5, ,\n",
    ),
    "unique": (
        typed(
            name={"constraints": {"unique": True}},
            score={"constraints": {"unique": True}},
            born={"constraints": {"unique": True}},
        ),
        rows(
            "1,a,D1,1,true,2024-01-01",
            "2,b,D1,1.0,true,2024-01-02",
            "3,a,D1,2,true,2024-01-01",
            "4,,D1,,true,",
            "5,,D1,,true,",
            "6,A,D1,01.00,true,2024-1-1",
        ),
    ),
    "minimum-maximum": (
        typed(
            id={"constraints": {"required": True, "minimum": 2, "maximum": 5}},
            score={"constraints": {"minimum": 0.5, "maximum": 10}},
            born={"constraints": {"minimum": "2020-01-01", "maximum": "2024-12-31"}},
        ),
        rows(
            "1,a,D1,0.5,true,2020-01-01",
            "2,b,D1,0.49999,true,2019-12-31",
            "5,c,D1,10,true,2024-12-31",
            "6,d,D1,10.0001,true,2025-01-01",
            "+07,e,D1,1e1,true,2024-1-1",
        ),
    ),
    "exclusive-bounds": (
        {
            "$schema": "https://datapackage.org/profiles/2.0/tableschema.json",
            **typed(
                id={"constraints": {"exclusiveMinimum": 1, "exclusiveMaximum": 4}},
                score={"constraints": {"exclusiveMinimum": 0, "exclusiveMaximum": 1}},
            ),
        },
        rows(
            "1,a,D1,0,true,2024-01-01",
            "2,b,D1,0.5,true,2024-01-01",
            "3,c,D1,1,true,2024-01-01",
            "4,d,D1,1.0,true,2024-01-01",
        ),
    ),
    "lengths": (
        typed(name={"constraints": {"minLength": 2, "maxLength": 4}}),
        rows(
            "1,a,D1,1,true,2024-01-01",
            "2,ab,D1,1,true,2024-01-01",
            "3,abcd,D1,1,true,2024-01-01",
            "4,abcde,D1,1,true,2024-01-01",
            "5,éé,D1,1,true,2024-01-01",
            "6,,D1,1,true,2024-01-01",
        ),
    ),
    "pattern": (
        {
            "fields": [
                {
                    "name": "incident_id",
                    "type": "string",
                    "constraints": {"pattern": "UOF-[0-9]{4}-[0-9]{6}"},
                },
                {"name": "either", "type": "string", "constraints": {"pattern": "a|b"}},
                {"name": "code", "type": "string", "constraints": {"pattern": "[A-Z]+"}},
            ]
        },
        "incident_id,either,code\n"
        "UOF-2024-000001,a,AB\n"
        "UOF-2024-0000012,axx,ab\n"
        "xUOF-2024-000001,xxb,A B\n"
        'UOF-24-000001,b,"AB\n"\n'
        'uof-2024-000001,ba,"AB\nC"\n',
    ),
    "enum": (
        TYPED,
        rows(
            "1,a,D1,1,true,2024-01-01",
            "2,b,D9,1,true,2024-01-01",
            "3,c,d1,1,true,2024-01-01",
            "4,d, D1,1,true,2024-01-01",
        ),
    ),
    "enum-typed": (
        typed(id={"constraints": {"enum": [1, 2, "3"]}}, active={"constraints": {"enum": [True]}}),
        rows(
            "1,a,D1,1,true,2024-01-01",
            "02,b,D1,1,1,2024-01-01",
            "3,c,D1,1,false,2024-01-01",
            "4,d,D1,1,TRUE,2024-01-01",
        ),
    ),
    "primary-key-duplicate": (
        TYPED,
        rows(
            "1,a,D1,1,true,2024-01-01",
            "2,b,D1,1,true,2024-01-01",
            "1,c,D1,1,true,2024-01-01",
            "01,d,D1,1,true,2024-01-01",
            "x,e,D1,1,true,2024-01-01",
            "y,f,D1,1,true,2024-01-01",
        ),
    ),
    "primary-key-composite-nulls": (
        {
            "fields": [
                {"name": "incident", "type": "string"},
                {"name": "subject", "type": "integer"},
                {"name": "note", "type": "string"},
            ],
            "primaryKey": ["incident", "subject"],
        },
        "incident,subject,note\nA,1,x\nA,2,x\nA,1,x\nA,,x\nA,,x\n,1,x\n,1,x\n,,x\n,,\nB,zz,x\nB,,x\n",
    ),
    "ragged-short": (TYPED, rows("1,a,D1,1,true,2024-01-01", "2,b,D1", "", "3", "4,c,D1,1,true")),
    "ragged-long": (
        TYPED,
        rows(
            "1,a,D1,1,true,2024-01-01,extra",
            "2,b,D1,1,true,2024-01-01,,",
            "3,c,D1,1,true,2024-01-01",
        ),
    ),
    "blank-rows": (
        TYPED,
        TYPED_HEADER
        + '1,a,D1,1,true,2024-01-01\n\n,,,,,\n"",,,,,\n,,,,,,x\n2,b,D1,1,true,2024-01-01\n\n\n',
    ),
    "duplicate-labels": (TYPED, "id,name,name,score,id,born\n1,a,D1,1,true,2024-01-01\n"),
    "missing-labels": (TYPED, "id,name,district,score\n1,a,D1,1\n2,b,D1,1,true,2024-01-01\n"),
    "extra-labels": (TYPED, TYPED_HEADER.strip() + ",extra,more\n1,a,D1,1,true,2024-01-01,x\n"),
    "blank-labels": (TYPED, "id,,district, ,active,born\n1,a,D1,1,true,2024-01-01\n"),
    "incorrect-labels": (TYPED, "id,Name,District,score ,active,birth\n1,a,D1,1,true,2024-01-01\n"),
    "blank-header-line": (TYPED, "\n1,a,D1,1,true,2024-01-01\n"),
    "header-only": (TYPED, TYPED_HEADER),
    "empty-file": (TYPED, ""),
    "foreign-key-self": (
        {
            "fields": [
                {"name": "id", "type": "integer"},
                {"name": "parent", "type": "integer"},
            ],
            "primaryKey": ["id"],
            "foreignKeys": [
                {"fields": ["parent"], "reference": {"resource": "", "fields": ["id"]}}
            ],
        },
        "id,parent\n1,\n2,1\n3,9\n4,04\n5,x\n",
    ),
    "huge-field": (
        TYPED,
        rows("1," + "x" * 200_000 + ",D1,1,true,2024-01-01", "2,b,D7,1,true,2024-01-01"),
    ),
    "quoted-cells": (
        TYPED,
        rows(
            '1,"a, b",D1,1,true,2024-01-01',
            '2,"say ""hi""",D1,1,true,2024-01-01',
            '"3","multi\nline",D4,1,true,2024-01-01',
            '4,x"y,D1,1,true,2024-01-01',
        ),
    ),
    "quoted-single-line": (
        TYPED,
        rows('1,"a, b",D1,1,true,2024-01-01', '"2","x",D5,"1",true,2024-01-01', '3,"",D1,1,"",""'),
    ),
    "crlf": (
        TYPED,
        TYPED_HEADER.replace("\n", "\r\n") + "1,a,D1,1,true,2024-01-01\r\n2,b,D9,1,true,x\r\n\r\n",
    ),
    "lone-cr": (TYPED, rows("1,a,D1,1,true,2024-01-01", "2,b\r,D1,1,true,2024-01-01")),
    "whitespace-cells": (TYPED, rows(" 1 , a ,D1 , 1 , true , 2024-01-01 ")),
    "bom": (TYPED, "\ufeff" + rows("1,a,D1,1,true,2024-01-01", "2,b,D1,1,nope,2024-01-01")),
    "not-utf8": (
        TYPED,
        (rows("1,a,D1,1,true,2024-01-01") + "2,Zoë,D1,1,true,2024-01-01\n").encode("latin-1"),
    ),
    "binary": (TYPED, bytes(range(256)) * 8),
    "json-not-csv": (TYPED, '{"id": 1, "name": "a"}\n[1, 2, 3]\n'),
    "many-errors": (TYPED, rows(*(f"{i},n,D{i % 9},x{i},true,2024-01-01" for i in range(1, 61)))),
    "semicolon-lists": (
        TYPED,
        rows(
            "1,a;b;c,D1,1,true,2024-01-01",
            "2,a;b,D1,1,true,2024-01-01",
            "3,a,D1;D2,1,true,2024-01-01",
        ),
    ),
}


def use_of_force_case() -> tuple[dict, str]:
    schema = json.loads(USE_OF_FORCE.read_text())
    good = (
        "UOF-2024-{:06d},{},2024-03-{:02d},D{},traffic-stop,hands-fists-feet;takedown,"
        "hands-fists-feet,25-34,male,white,not-hispanic,minor,false,2,arrested"
    )
    header = ",".join(f["name"] for f in schema["fields"])
    lines = [good.format(i, 1, 1 + i % 28, 1 + i % 6) for i in range(1, 30)]
    lines[3] = lines[3].replace("traffic-stop", "Traffic Stop")
    lines[5] = lines[5].replace("hands-fists-feet;takedown", "takedown;;restraint")
    lines[7] = lines[7].replace(",false,2,", ",no,0,")
    lines[9] = lines[9].replace("2024-03-", "2024/03/")
    lines[11] = good.format(1, 1, 5, 1)
    lines[13] = lines[13].replace("UOF-2024-", "UOF-24-")
    lines[15] = lines[15].replace(",2,arrested", ",51,arrested")
    return schema, header + "\n" + "\n".join(lines) + "\n"


def main() -> None:
    cases = dict(CASES, **{"use-of-force": use_of_force_case()})
    for name, (schema, content) in cases.items():
        (HERE / f"{name}.schema.json").write_text(json.dumps(schema, indent=1) + "\n")
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (HERE / f"{name}.csv").write_bytes(data)


if __name__ == "__main__":
    main()
