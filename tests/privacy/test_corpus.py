"""The adversarial corpus: every way a never-publish value or a name tries to get out.

Each case runs a real publisher run (SQLite, files, the guard, staging) on a dataset made of
only a schema and a publisher entry, and asserts what is published (nothing secret) and what
the run or the report says.
"""

from __future__ import annotations

import csv
import io

import polars as pl
import pytest
from sqlalchemy import select

from portal.errors import DefinitionError
from portal.models import AuditEvent, Candidate
from portal.privacy.report import sentences
from portal.storage import LocalStorage
from tests.flow import run
from tests.privacy.corpus import dataset

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

HEADER = ["IncidentNo", "Area", "Badge", "OfficerName", "SubjectName", "DOB", "Address", "Notes"]
ROWS = [
    [
        "UOF-1",
        "0457",
        "10757",
        "Ofc. Marlin Berrios",
        "Jane Mack",
        "1990-05-03",
        "3017-A N 28TH ST",
        "",
    ],
    [
        "UOF-2",
        "0458",
        "2231",
        "Ofc. Ana O'Neil-Diaz",
        "Tom Smith",
        "1985-01-02",
        "6100-6400 N 107TH ST",
        "",
    ],
    [
        "UOF-3",
        "0459",
        "04388",
        "Sgt. Lee Wu",
        "MARY JONES",
        "2001-12-31",
        "1700 1/2 W MAIN ST APT 4",
        "",
    ],
]
NEVER = ["Badge", "OfficerName", "SubjectName", "DOB", "Address"]
TEXT = {"name": "incident_id", "type": "string"}


def source(rows: list[list[str]] = ROWS, header: list[str] = HEADER) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def published(portal, name: str = "records.csv") -> str:
    with portal.db.session() as session:
        candidate = session.scalars(select(Candidate).order_by(Candidate.id.desc())).first()
        staged = LocalStorage(portal.config.data_dir).staged(candidate.staged_dir)
        return (staged / name).read_text(encoding="utf-8")


def failed(result, *needles: str) -> None:
    assert result.status.value == "failed", "the run published what it must not"
    for needle in needles:
        assert needle in result.error, result.error


# -- badge numbers, dates of birth and names in fields of every type ------------------------


def test_badge_in_an_integer_field_fails_and_names_field_column_cells_and_rows(portal, tmp_path):
    # A second export column holds the same numbers (as real exports do): only the guard sees it.
    rows = [r + [str(int(r[2]))] for r in ROWS]
    case = dataset(
        portal,
        tmp_path,
        fields=[TEXT, {"name": "unit", "type": "integer"}],
        columns={"incident_id": "IncidentNo", "unit": {"from": "BadgeCopy", "function": "integer"}},
        source=source(rows, HEADER + ["BadgeCopy"]),
        never_publish=NEVER,
    )
    failed(
        run(case, "case"), "records.unit", "never-publish column Badge", "3 cells", "rows 1, 2, 3"
    )


def test_badge_with_leading_zero_meets_its_integer_form(portal, tmp_path):
    # "0388" in the secret column, 388 published: one canonical form, so they meet.
    rows = [r + [r[2].lstrip("0") + ".0"] for r in ROWS]
    case = dataset(
        portal,
        tmp_path,
        fields=[TEXT, {"name": "unit", "type": "number"}],
        columns={"incident_id": "IncidentNo", "unit": {"from": "Copy", "function": "number"}},
        source=source(rows, HEADER + ["Copy"]),
        never_publish=NEVER,
    )
    failed(run(case, "case"), "records.unit", "Badge")


def test_date_of_birth_in_a_date_field_fails(portal, tmp_path):
    rows = [r + ["/".join([r[5][5:7], r[5][8:10], r[5][:4]])] for r in ROWS]  # 05/03/1990
    case = dataset(
        portal,
        tmp_path,
        fields=[TEXT, {"name": "reported_on", "type": "date"}],
        columns={"incident_id": "IncidentNo", "reported_on": {"from": "Seen", "function": "date"}},
        source=source(rows, HEADER + ["Seen"]),
        never_publish=NEVER,
    )
    failed(run(case, "case"), "records.reported_on", "never-publish column DOB")


def test_badges_inside_a_list_field_fail(portal, tmp_path):
    rows = [r + [f"{r[2]}|9{i}"] for i, r in enumerate(ROWS)]
    case = dataset(
        portal,
        tmp_path,
        fields=[TEXT, {"name": "units", "type": "string"}],
        columns={
            "incident_id": "IncidentNo",
            "units": {"from": "Units", "function": "list", "separator": "|"},
        },
        source=source(rows, HEADER + ["Units"]),
        never_publish=NEVER,
    )
    failed(run(case, "case"), "records.units", "Badge", "inside the text")


def test_a_name_in_a_text_field_fails_even_upper_case(portal, tmp_path):
    rows = [r + [r[4].upper()] for r in ROWS]
    case = dataset(
        portal,
        tmp_path,
        fields=[TEXT, {"name": "contact", "type": "string"}],
        columns={"incident_id": "IncidentNo", "contact": "Contact"},
        source=source(rows, HEADER + ["Contact"]),
        never_publish=NEVER,
    )
    failed(run(case, "case"), "records.contact", "SubjectName")


def test_a_family_name_alone_in_a_short_text_field_fails(portal, tmp_path):
    rows = [r + [f"seen by {r[3].split()[-1]}"] for r in ROWS]
    case = dataset(
        portal,
        tmp_path,
        fields=[TEXT, {"name": "remark", "type": "string"}],
        columns={"incident_id": "IncidentNo", "remark": "Remark"},
        source=source(rows, HEADER + ["Remark"]),
        never_publish=NEVER,
        privacy={"scrub": {"names_from": ["OfficerName", "SubjectName"]}},
    )
    failed(run(case, "case"), "records.remark", "OfficerName", "inside the text of 3 cells")


def test_long_free_text_without_a_scrub_is_refused(portal, tmp_path):
    rows = [r + ["The subject was calm. " * 8] for r in ROWS]
    case = dataset(
        portal,
        tmp_path,
        fields=[TEXT, {"name": "summary", "type": "string"}],
        columns={"incident_id": "IncidentNo", "summary": "Summary"},
        source=source(rows, HEADER + ["Summary"]),
        never_publish=NEVER,
    )
    failed(run(case, "case"), "summary holds free text", "privacy: scrub: fields: [summary]")


# -- declarations fail closed -----------------------------------------------------------------


def declared(portal, tmp_path, **changes):
    spec = {
        "fields": [TEXT],
        "columns": {"incident_id": "IncidentNo"},
        "source": source(),
        "never_publish": NEVER,
    }
    spec.update(changes)
    return dataset(portal, tmp_path, **spec)


def test_a_misspelled_never_publish_column_fails_the_run_with_near_matches(portal, tmp_path):
    case = declared(portal, tmp_path, never_publish=["Badge", "OfficerNme"])
    failed(run(case, "case"), "case.yaml", "never_publish", "'OfficerNme'", "'OfficerName'")


def test_a_misspelled_name_column_fails_the_run(portal, tmp_path):
    case = declared(portal, tmp_path, privacy={"scrub": {"names_from": ["SubjectNam"]}})
    failed(run(case, "case"), "privacy.scrub.names_from", "'SubjectName'")


@pytest.mark.parametrize(
    ("privacy", "expected"),
    [
        ({"hundredblock": ["incident_id"]}, "did you mean 'hundred_block'"),
        ({"coarsen": {"incident_dat": "month"}}, "privacy.coarsen"),
        ({"scrub": {"fields": ["incidentid"]}}, "did you mean 'incident_id'"),
        ({"scrub": {"name_from": ["SubjectName"]}}, "did you mean 'names_from'"),
        ({"coincidences": {"incident_id": ["Bdge"]}}, "did you mean 'Badge'"),
        ({"coincidences": {"incident": ["Badge"]}}, "did you mean 'incident_id'"),
        ({"roster": {"columns": ["Name"]}}, "privacy.roster needs a `source`"),
    ],
)
def test_typos_in_a_privacy_declaration_are_errors_when_definitions_load(
    portal, tmp_path, privacy, expected
):
    case = declared(portal, tmp_path, privacy=privacy)
    with pytest.raises(DefinitionError, match="case.yaml") as error:
        case.definition("case")
    assert expected in str(error.value)


def test_a_never_publish_column_copied_into_a_field_is_an_error_at_load(portal, tmp_path):
    case = declared(
        portal, tmp_path, columns={"incident_id": {"from": "Badge", "function": "trim"}}
    )
    with pytest.raises(DefinitionError, match="publishes the never-publish column 'Badge'"):
        case.definition("case")


def test_a_field_declared_free_text_must_be_scrubbed(portal, tmp_path):
    case = declared(
        portal,
        tmp_path,
        fields=[TEXT, {"name": "notes", "type": "string", "free_text": True}],
        columns={"incident_id": "IncidentNo", "notes": "Notes"},
    )
    with pytest.raises(DefinitionError, match=r"notes is free text"):
        case.definition("case")


# -- coincidences: reported with columns and rows, accepted only by a declaration -----------


def coincidence_rows() -> list[list[str]]:
    # Reporting area codes that happen to equal badge numbers of other officers.
    rows = [list(r) for r in ROWS]
    rows[0][1], rows[2][1] = "2231", "10757"
    return rows


def test_a_coincidence_fails_with_both_columns_named(portal, tmp_path):
    case = declared(
        portal,
        tmp_path,
        fields=[TEXT, {"name": "reporting_area", "type": "integer"}],
        columns={
            "incident_id": "IncidentNo",
            "reporting_area": {"from": "Area", "function": "integer"},
        },
        source=source(coincidence_rows()),
    )
    failed(
        run(case, "case"),
        "records.reporting_area",
        "never-publish column Badge",
        "2 cells (rows 1, 3)",
        "coincidences: {reporting_area: [Badge]}",
    )


def test_a_declared_coincidence_is_published_shown_to_the_officer_and_audited(portal, tmp_path):
    case = declared(
        portal,
        tmp_path,
        fields=[TEXT, {"name": "reporting_area", "type": "integer"}],
        columns={
            "incident_id": "IncidentNo",
            "reporting_area": {"from": "Area", "function": "integer"},
        },
        source=source(coincidence_rows()),
        privacy={"coincidences": {"reporting_area": ["Badge"]}},
    )
    result = run(case, "case")
    assert result.status.value == "succeeded", result.error
    lines = sentences(result.report["privacy"])["records"]
    assert any(
        "Accepted coincidence" in line
        and "reporting_area" in line
        and "2 cells (rows 1, 3)" in line
        for line in lines
    ), lines
    with case.db.session() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "privacy.coincidence")
        ).all()
    assert [(e.details["field"], e.details["column"], e.details["cells"]) for e in events] == [
        ("reporting_area", "Badge", 2)
    ]


# -- scrubbing names in free text --------------------------------------------------------------


def narratives() -> list[list[str]]:
    texts = [
        "BERRIOS and Officer O'Neil-Diaz met Mack's sister; Mackenzie Smithson was not there.",
        "Smith, Tom fled; marlin berrios (badge 10757) followed. Jones said nothing.",
        "Wu's report: Mary ran to the corner. Call 414-555-0199 or tom at example dot org.",
    ]
    return [r[:7] + [t] for r, t in zip(ROWS, texts, strict=True)]


def test_narratives_are_scrubbed_of_every_declared_name_form(portal, tmp_path):
    case = declared(
        portal,
        tmp_path,
        fields=[TEXT, {"name": "narrative", "type": "string", "free_text": True}],
        columns={"incident_id": "IncidentNo", "narrative": "Notes"},
        source=source(narratives()),
        privacy={"scrub": {"fields": ["narrative"], "names_from": ["OfficerName", "SubjectName"]}},
    )
    result = run(case, "case")
    assert result.status.value == "succeeded", result.error
    text = published(case)
    for name in (
        "Berrios",
        "BERRIOS",
        "O'Neil",
        "Diaz",
        "Mack's",
        "Smith,",
        "marlin",
        "Jones",
        "Wu's",
        "Mary",
    ):
        assert name not in text, name
    assert "10757" not in text and "414-555" not in text and "example dot org" not in text
    assert "Mackenzie Smithson" in text  # inside longer words: not a name
    lines = " ".join(sentences(result.report["privacy"])["records"])
    assert "Names that are not in the declared name columns or roster are not detected" in lines
    assert "narrative: 3 cells scrubbed" in lines
    sample = result.report["privacy"]["records"]["scrubSample"]["narrative"]
    assert sample[0].startswith("[name] and Officer [name] met [name]'s sister")


def test_names_from_a_roster_source_are_scrubbed(portal, tmp_path):
    rows = [r[:7] + [f"Detective Quill and {r[4]} spoke."] for r in ROWS]
    case = declared(
        portal,
        tmp_path,
        fields=[TEXT, {"name": "narrative", "type": "string", "free_text": True}],
        columns={"incident_id": "IncidentNo", "narrative": "Notes"},
        source=source(rows),
        privacy={
            "scrub": {"fields": ["narrative"], "names_from": ["SubjectName"]},
            "roster": {
                "source": {"type": "file", "path": "roster.csv", "format": "csv"},
                "columns": ["First", "Last"],
            },
        },
        files={"roster.csv": "First,Last\r\nAmos,Quill\r\n"},
    )
    result = run(case, "case")
    assert result.status.value == "succeeded", result.error
    assert "Quill" not in published(case)
    assert "the declared roster" in " ".join(sentences(result.report["privacy"])["records"])


# -- addresses ---------------------------------------------------------------------------------


def test_addresses_are_published_as_blocks_streets_or_blank_never_as_given(portal, tmp_path):
    forms = [
        "3017-A N 28TH ST",
        "3037A N HOLTON ST",
        "6100-6400 N 107TH ST",
        "1700½ W MAIN ST",
        "1700 1/2 W MAIN ST",
        "2200 W WELLS ST APT 4",
        "62ND/LAYTON",
        "84TH AND CONGRESS",
        "4600-BLK N 39TH ST",
        "PO BOX 1234",
        "0123 MAIN ST",
        "N MAIN ST",
        "1234 N Main St #5",
        "###",
    ]
    rows = [
        [f"UOF-{i}", "1", "9999", "X Y", "Z W", "1990-01-01", a, ""] for i, a in enumerate(forms)
    ]
    case = dataset(
        portal,
        tmp_path,
        fields=[TEXT, {"name": "location", "type": "string"}],
        columns={"incident_id": "IncidentNo", "location": "Address"},
        source=source(rows),
        privacy={"hundred_block": ["location"]},
    )
    result = run(case, "case")
    assert result.status.value == "succeeded", result.error
    locations = pl.read_csv(io.StringIO(published(case)), infer_schema=False)["location"].to_list()
    assert locations == [
        "3000 block of N 28TH ST",
        "3000 block of N HOLTON ST",
        "6100 block of N 107TH ST",
        "1700 block of W MAIN ST",
        "1700 block of W MAIN ST",
        "2200 block of W WELLS ST",
        "62ND & LAYTON",
        "84TH & CONGRESS",
        "4600 block of N 39TH ST",
        None,
        "100 block of MAIN ST",
        "N MAIN ST",
        "1200 block of N Main St",
        None,
    ]
    assert result.report["privacy"]["records"]["addresses"]["location"] == {
        "block": 8,
        "alreadyBlock": 1,
        "intersection": 2,
        "streetOnly": 1,
        "blanked": 2,
    }


# -- every format ------------------------------------------------------------------------------


def test_the_published_report_says_which_formats_were_checked(portal, tmp_path):
    case = declared(portal, tmp_path)
    result = run(case, "case")
    assert result.status.value == "succeeded", result.error
    line = sentences(result.report["privacy"])["records"][1]
    assert line.startswith("Every cell of this table (CSV and JSON and Parquet) was compared")
    assert "3 values shorter" not in line
    # The text search's limit is said next to the claim it limits.
    limit = sentences(result.report["privacy"])["records"][2]
    assert limit.startswith("Inside text, a never-publish value of several words is found only")


# -- the README's worked example, kept true ---------------------------------------------------

WORKED_SOURCE = (
    "CallNo,RA,Address,Comments,CallerName,CallerPhone,Badge,OfficerName\r\n"
    "C-1,2231,3017-A N 28TH ST,Caller Jane Mack (414-555-0199) says Ofc. BERRIOS took Mack's "
    "keys,Jane Mack,414-555-0199,10757,Marlin Berrios\r\n"
    "C-2,0457,PO BOX 12,Quiet call,Tom Reed,414-555-0100,2231,Lee Wu\r\n"
)


def worked(portal, tmp_path, privacy):
    return dataset(
        portal,
        tmp_path,
        fields=[
            {"name": "call_id", "type": "string"},
            {"name": "reporting_area", "type": "integer"},
            {"name": "location", "type": "string"},
            {"name": "narrative", "type": "string", "free_text": True},
        ],
        columns={
            "call_id": "CallNo",
            "reporting_area": {"from": "RA", "function": "integer"},
            "location": "Address",
            "narrative": "Comments",
        },
        source=WORKED_SOURCE,
        never_publish=["CallerName", "CallerPhone", "Badge", "OfficerName"],
        privacy=privacy,
    )


def test_the_readme_worked_example(portal, tmp_path):
    privacy = {
        "hundred_block": ["location"],
        "scrub": {"fields": ["narrative"], "names_from": ["CallerName", "OfficerName"]},
        "coincidences": {"reporting_area": ["Badge"]},
    }
    result = run(worked(portal, tmp_path, privacy), "case")
    assert result.status.value == "succeeded", result.error
    assert published(portal).splitlines() == [
        "call_id,reporting_area,location,narrative",
        "C-1,2231,3000 block of N 28TH ST,Caller [name] [name] ([phone]) says Ofc. [name] took "
        "[name]'s keys",
        "C-2,457,,Quiet call",  # an integer: the leading zero is not part of its meaning
    ]
    text = " ".join(sentences(result.report["privacy"])["records"])
    assert "reporting_area holds values of Badge in 1 cell (rows 1)" in text
    assert "inside the text of call_id, location, narrative: none appears" in text
    assert "1 address reduced to the hundred block" in text and "1 blanked" in text


def test_the_readme_worked_example_without_its_coincidence_or_with_a_typo(portal, tmp_path):
    privacy = {
        "hundred_block": ["location"],
        "scrub": {"fields": ["narrative"], "names_from": ["CallerName", "OfficerName"]},
    }
    failed(
        run(worked(portal, tmp_path, privacy), "case"),
        "records.reporting_area",
        "Badge",
        "1 cell (rows 1)",
    )
    privacy["scrub"]["names_from"] = ["CallerNme", "OfficerName"]
    failed(run(worked(portal, tmp_path, privacy), "case"), "case.yaml", "'CallerName'")
