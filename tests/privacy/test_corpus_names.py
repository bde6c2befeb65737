"""The corpus, continued: hyphenated family names are one name, in every form a narrative
writes them; the parts still go alone, and longer words holding a part do not match."""

from __future__ import annotations

import pytest

from portal.privacy.report import sentences
from tests.flow import run
from tests.privacy.test_corpus import HEADER, ROWS, TEXT, declared, published, source

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

NARRATIVE = {"name": "narrative", "type": "string", "free_text": True}
SCRUB = {"scrub": {"fields": ["narrative"], "names_from": ["OfficerName", "SubjectName"]}}


def scrubbed(portal, tmp_path, texts: list[str]) -> tuple[list[str], list[str]]:
    """Publish the three corpus rows with `texts` as narratives; the published narratives
    (in row order) and the privacy report's sentences."""
    rows = [r[:7] + [t] for r, t in zip(ROWS, texts, strict=True)]
    case = declared(
        portal,
        tmp_path,
        fields=[TEXT, NARRATIVE],
        columns={"incident_id": "IncidentNo", "narrative": "Notes"},
        source=source(rows, HEADER),
        privacy=SCRUB,
    )
    result = run(case, "case")
    assert result.status.value == "succeeded", result.error
    lines = published(case).splitlines()[1:]
    cells = [line.split(",", 1)[1].strip('"') for line in lines]
    return cells, sentences(result.report["privacy"])["records"]


@pytest.mark.parametrize(
    ("written", "published_as"),
    [
        ("Officer O'Neil-Diaz arrived.", "Officer [name] arrived."),
        ("OFFICER O'NEIL-DIAZ ARRIVED.", "OFFICER [name] ARRIVED."),
        ("o'neil-diaz's car was parked.", "[name]'s car was parked."),
        ("Ana O'Neil-Diaz (badge withheld) spoke.", "[name] [name] (badge withheld) spoke."),
        ("Seen by O'Neil, then by Diaz.", "Seen by [name], then by [name]."),
        ("Diaz-O'Neil is another person.", "[name]-[name] is another person."),
        (
            "Diazepam and O'Neilson are not names here.",
            "Diazepam and O'Neilson are not names here.",
        ),
    ],
)
def test_a_hyphenated_family_name_is_scrubbed_as_one_name(portal, tmp_path, written, published_as):
    cells, lines = scrubbed(portal, tmp_path, [written, "nothing", "nothing"])

    assert cells[0] == published_as
    if written != published_as:
        assert any("narrative: 1 cell scrubbed" in line for line in lines), lines
    else:
        assert not any("narrative: 1 cell scrubbed" in line for line in lines), lines
