"""Canonical forms, whole words and address forms: the corpus's small cases."""

from __future__ import annotations

import re

import polars as pl
import pytest

from portal.privacy.addresses import block_of
from portal.privacy.forms import canonical_values
from portal.privacy.leaks import find, gather, name_tokens
from portal.privacy.scrub import scrub_text


@pytest.mark.parametrize(
    "forms",
    [
        ["10757", "10757.0", "10757 ", "010757", "10,757", "+10757", "10757.000"],
        ["1990-05-03", "5/3/1990", "05/03/1990", "1990-05-03T00:00:00", "1990-05-03 00:00"],
        ["Jane  Mack", " jane mack ", "JANE MACK"],
    ],
)
def test_one_canonical_form_for_every_way_a_value_is_written(forms):
    assert len(set(canonical_values(forms))) == 1


@pytest.mark.parametrize(
    ("address", "published", "outcome"),
    [
        ("3017-A N 28TH ST", "3000 block of N 28TH ST", "block"),
        ("3037A N HOLTON ST", "3000 block of N HOLTON ST", "block"),
        ("6100-6400 N 107TH ST", "6100 block of N 107TH ST", "block"),
        ("1700½ W MAIN ST", "1700 block of W MAIN ST", "block"),
        ("1700 1/2 W MAIN ST", "1700 block of W MAIN ST", "block"),
        ("2200 W WELLS ST APT 4", "2200 block of W WELLS ST", "block"),
        ("1234 N Main St Unit 5B", "1200 block of N Main St", "block"),
        ("0123 MAIN ST", "100 block of MAIN ST", "block"),
        ("58 Elm St", "0 block of Elm St", "block"),
        ("62ND/LAYTON", "62ND & LAYTON", "intersection"),
        ("84TH AND CONGRESS", "84TH & CONGRESS", "intersection"),
        ("N 35TH ST & W CAPITOL DR", "N 35TH ST & W CAPITOL DR", "intersection"),
        ("4600-BLK N 39TH ST", "4600 block of N 39TH ST", "alreadyBlock"),
        ("2800 BLOCK OF N 35TH ST", "2800 block of N 35TH ST", "alreadyBlock"),
        ("PO BOX 1234", None, "blanked"),
        ("P.O. Box 55, Milwaukee WI", None, "blanked"),
        ("N MAIN ST", "N MAIN ST", "streetOnly"),
        ("N MAIN ST 1234", "N MAIN ST", "streetOnly"),
        ("1234", None, "blanked"),
        ("", None, "blanked"),
    ],
)
def test_every_address_form_comes_out_as_a_block_an_intersection_a_street_or_blank(
    address, published, outcome
):
    assert block_of(address) == (published, outcome)
    numbers = re.findall(r"\d+", address)
    house = numbers[0] if numbers and outcome == "block" else None
    if house and published and int(house) % 100:
        assert not re.search(rf"\b0*{int(house)}\b", published)


def test_name_tokens_are_given_and_family_names_without_titles_or_initials():
    assert name_tokens(["Ofc. J. Smith; Sgt. Ana O'Neil-Diaz", "MARY JONES"]) == {
        "Smith",
        "Ana",
        "O'Neil-Diaz",
        "O'Neil",
        "Diaz",
        "MARY",
        "JONES",
    }


def test_names_match_as_whole_words_in_any_case_never_inside_longer_words():
    names = ["Mack", "Berrios"]
    assert scrub_text("MACK's car", names) == "[name]'s car"
    assert scrub_text("berrios, then Mack.", names) == "[name], then [name]."
    assert scrub_text("Mackenzie and Berriosa", names) == "Mackenzie and Berriosa"
    assert scrub_text("(Mack)", names) == "([name])"


def test_a_value_inside_text_is_found_with_its_row():
    secrets = gather(pl.LazyFrame({"Badge": ["4471"]}), ["Badge"], {})
    table = pl.DataFrame({"note": ["unit 12", "badge #4471 on scene", "14471"]})
    [finding] = find(table, ["note"], secrets)
    assert (finding.field, finding.column, sorted(finding.rows), finding.inside) == (
        "note",
        "Badge",
        [1],
        True,
    )


def test_short_values_are_counted_as_not_looked_for():
    secrets = gather(pl.LazyFrame({"Code": ["12", "A", "4471"]}), ["Code"], {})
    assert secrets.counted["Code"] == {"distinct": 3, "short": 2, "long": 0}
