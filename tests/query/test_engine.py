"""The query engine: filters, sort, pages, counts, typed values, facets and exact CSV exports."""

from __future__ import annotations

import csv
import io
import logging
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from portal.query import engine
from portal.query.engine import BadQuery, Query, Table
from portal.query.index import build_index, connect, index_path

SCHEMA = {
    "fields": [
        {"name": "id", "type": "integer"},
        {"name": "day", "type": "date"},
        {"name": "month", "type": "yearmonth"},
        {"name": "district", "type": "string", "constraints": {"enum": ["D1", "D2", "D3"]}},
        {"name": "note", "type": "string"},
        {"name": "cost", "type": "number"},
        {"name": "injured", "type": "boolean"},
    ],
    "missingValues": [""],
}
ROWS = [
    ["1", "2024-01-05", "2024-01", "D1", "Traffic stop", "12.50", "true"],
    ["2", "2024-02-10", "2024-02", "D2", '\'=HYPERLINK("x")', "3", "false"],
    ["3", "2024-02-11", "2024-02", "D1", "line one\nline two, with comma", "", "false"],
    ["4", "2024-03-01", "2024-03", "D3", "", "7.25", "true"],
    ["5", "2024-03-15", "2024-03", "D1", "100% sure_thing", "0.5", "false"],
    ["6", "2024-01-20", "2024-01", "D2", "warrant service", "3", "true"],
]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    """A CSV written the way the pipeline publishes one (polars, CRLF, nulls as empty cells)."""
    names = [f["name"] for f in SCHEMA["fields"]]
    frame = pl.DataFrame([[c or None for c in row] for row in rows], schema=names, orient="row")
    frame.write_csv(path, line_terminator="\r\n", null_value="")
    return path


@pytest.fixture
def table(tmp_path: Path) -> Table:
    source = write_csv(tmp_path / "table.csv", ROWS)
    return Table(build_index(source, SCHEMA, tmp_path / "index" / "table.duckdb"))


def ids(page: engine.Page) -> list[int]:
    return [row["id"] for row in page.rows]


def test_values_are_typed_per_the_schema_and_missing_cells_are_null(table):
    page = table.page(Query())

    assert page.total == 6
    assert page.rows[0] == {
        "id": 1,
        "day": "2024-01-05",
        "month": "2024-01",
        "district": "D1",
        "note": "Traffic stop",
        "cost": 12.5,
        "injured": True,
    }
    assert page.rows[2]["cost"] is None
    assert page.rows[3]["note"] is None


def test_equality_filters_any_of_several_values_and_empty_matches_missing(table):
    assert ids(table.page(Query({"district": ["D1"]}))) == [1, 3, 5]
    assert ids(table.page(Query({"district": ["D2", "D3"]}))) == [2, 4, 6]
    assert ids(table.page(Query({"injured": ["true"], "district": ["D1", "D2"]}))) == [1, 6]
    assert ids(table.page(Query({"cost": [""]}))) == [3]
    assert ids(table.page(Query({"cost": ["3"]}))) == [2, 6]


def test_ranges_on_dates_numbers_and_months_are_inclusive(table):
    feb = Query({"day__min": ["2024-02-10"], "day__max": ["2024-03-01"]})
    assert ids(table.page(feb)) == [2, 3, 4]
    assert ids(table.page(Query({"cost__min": ["3"], "cost__max": ["12.5"]}))) == [1, 2, 4, 6]
    assert ids(table.page(Query({"month__min": ["2024-03"]}))) == [4, 5]
    assert table.count(Query({"id__max": ["2"]})) == 2


def test_text_search_is_case_insensitive_and_takes_wildcards_literally(table):
    assert ids(table.page(Query(q="TRAFFIC"))) == [1]
    assert ids(table.page(Query(q="100%"))) == [5]
    assert ids(table.page(Query(q="sur_"))) == []  # `_` is not a wildcard
    assert ids(table.page(Query(q="e_t"))) == [5]
    assert ids(table.page(Query(q="d3"))) == [4]  # enum values match too
    assert ids(table.page(Query(q="comma", filters={"district": ["D2"]}))) == []


def test_sort_by_several_fields_keeps_file_order_for_ties(table):
    assert ids(table.page(Query(sort=["-day"]))) == [5, 4, 3, 2, 6, 1]
    assert ids(table.page(Query(sort=["district", "-cost"]))) == [1, 5, 3, 2, 6, 4]
    assert ids(table.page(Query(sort=["injured"]))) == [2, 3, 5, 1, 4, 6]


def test_pages_cover_every_row_once_and_total_counts_all_matches(table):
    seen = []
    for offset in range(0, 6, 4):
        page = table.page(Query(sort=["cost"], limit=4, offset=offset))
        assert page.total == 6
        seen += ids(page)
    assert sorted(seen) == [1, 2, 3, 4, 5, 6]
    assert seen == [5, 2, 6, 4, 1, 3]  # missing values sort last
    assert table.page(Query(offset=100)).rows == []


def test_field_selection_returns_those_fields_in_that_order(table):
    page = table.page(Query({"district": ["D3"]}, fields=["cost", "id"]))

    assert page.fields == ["cost", "id"]
    assert page.rows == [{"cost": 7.25, "id": 4}]


@pytest.mark.parametrize(
    ("asked", "parameter"),
    [
        (Query({"nope": ["1"]}), "nope"),
        (Query({"id": ["one"]}), "id"),
        (Query({"day": ["31/01/2024"]}), "day"),
        (Query({"note__min": ["a"]}), "note__min"),
        (Query({"month__max": ["2024-13"]}), "month__max"),
        (Query({"id__min": ["99999999999999999999999"]}), "id__min"),
        (Query({"cost": ["nan"]}), "cost"),
        (Query({"injured": ["maybe"]}), "injured"),
        (Query(sort=["-nope"]), "sort"),
        (Query(fields=["id", "nope"]), "fields"),
        (Query(limit=0), "limit"),
        (Query(limit=1001), "limit"),
        (Query(offset=-1), "offset"),
        (Query({"note": ["\ud800"]}), "note"),
        (Query(q="\ud800"), "q"),
    ],
)
def test_bad_queries_name_the_parameter(table, asked, parameter):
    with pytest.raises(BadQuery) as raised:
        table.page(asked)
    assert parameter in raised.value.fields


def test_facets_list_every_enum_value_with_its_count(table):
    assert table.facets["district"] == [
        {"value": "D1", "count": 3},
        {"value": "D2", "count": 2},
        {"value": "D3", "count": 1},
    ]
    assert table.facets["injured"] == [{"value": True, "count": 3}, {"value": False, "count": 3}]
    assert "note" not in table.facets
    assert table.row_count == 6


def test_unfiltered_export_is_the_published_file_byte_for_byte(table, tmp_path):
    exported = b"".join(table.export(Query()))

    assert exported == (tmp_path / "table.csv").read_bytes()


def test_filtered_export_has_exactly_the_filtered_rows_with_published_cells(table, tmp_path):
    wanted = Query({"district": ["D1", "D2"]}, sort=["-day"], fields=["note", "id", "cost"])

    exported = b"".join(table.export(wanted)).decode("utf-8")

    assert exported.startswith("note,id,cost\r\n")
    parsed = list(csv.reader(io.StringIO(exported, newline="")))
    published = {
        r[0]: r
        for r in csv.reader(
            io.StringIO((tmp_path / "table.csv").read_text(encoding="utf-8"), newline="")
        )
    }
    page = table.page(Query(wanted.filters, sort=wanted.sort, fields=wanted.fields, limit=1000))
    assert [int(r[1]) for r in parsed[1:]] == ids(page)
    for note, id_, cost in parsed[1:]:
        assert [note, cost] == [published[id_][4], published[id_][5]]  # "12.50" stays "12.50"
    assert '\'=HYPERLINK(""x"")' in exported  # neutralised text, quoted as published


def test_a_bad_export_fails_before_streaming(table):
    with pytest.raises(BadQuery):
        table.export(Query({"nope": ["1"]}))


def test_typed_date_values_filter_on_dates_not_text(table):
    page = table.page(Query({"day": ["2024-02-10"]}))
    assert ids(page) == [2]
    assert date.fromisoformat(page.rows[0]["day"]) == date(2024, 2, 10)


def test_publishing_builds_the_index_outside_the_version_folder(portal, published_uof):
    version = published_uof
    file = version.file("incidents.csv")
    index = index_path(portal.config.data_dir, "use-of-force", 1, "incidents", file.sha256)

    assert index.exists()
    assert (
        not (portal.config.data_dir / "versions" / "use-of-force" / "v1")
        .joinpath(index.name)
        .exists()
    )
    with portal.db.session() as session:
        from portal.datasets.browse import find_version

        found = find_version(session, "use-of-force", 1)
        table = engine.open_table(portal.config.data_dir, found, "incidents")
        assert table.row_count == file.row_count
        assert sum(item["count"] for item in table.facets["district"]) == file.row_count


def test_a_missing_index_is_built_on_first_use_and_logged(portal, published_uof, caplog):
    version = published_uof
    file = version.file("monthly-summary.csv")
    index = index_path(portal.config.data_dir, "use-of-force", 1, "monthly-summary", file.sha256)
    index.unlink()
    engine._open.pop(index, None)

    with portal.db.session() as session, caplog.at_level(logging.INFO, logger="portal.query"):
        from portal.datasets.browse import find_version

        found = find_version(session, "use-of-force", 1)
        table = engine.open_table(portal.config.data_dir, found, "monthly-summary")
        page = table.page(Query({"district": ["D2"]}, sort=["-month"], limit=3))

    assert index.exists()
    assert "building the missing query index" in caplog.text
    assert page.total == sum(
        1
        for line in Path(portal.config.data_dir / "versions" / file.path).read_text().splitlines()
        if ",D2," in line
    )
    with pytest.raises(engine.UnknownResource), portal.db.session() as session:
        engine.open_table(portal.config.data_dir, find_version(session, "use-of-force", 1), "x")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_unreadable_index_is_rebuilt(portal, published_uof, caplog):
    version = published_uof
    file = version.file("incidents.csv")
    index = index_path(portal.config.data_dir, "use-of-force", 1, "incidents", file.sha256)
    engine._open.pop(index, None)
    index.write_bytes(b"not a database")

    with portal.db.session() as session, caplog.at_level(logging.WARNING, logger="portal.query"):
        from portal.datasets.browse import find_version

        table = engine.open_table(
            portal.config.data_dir, find_version(session, "use-of-force", 1), "incidents"
        )

    assert table.row_count == file.row_count
    assert "rebuilding the unreadable query index" in caplog.text


def test_export_quotes_a_number_written_with_a_group_separator(tmp_path):
    schema = {
        "fields": [
            {"name": "id", "type": "integer"},
            {"name": "budget", "type": "number", "groupChar": ","},
            {"name": "kind", "type": "string", "constraints": {"enum": ["a, b", "c"]}},
        ]
    }
    source = tmp_path / "budget.csv"
    source.write_bytes(b'id,budget,kind\r\n1,"1,250.50","a, b"\r\n2,300,c\r\n3,,\r\n')
    table = Table(build_index(source, schema, tmp_path / "budget.duckdb"))

    assert b"".join(table.export(Query())) == source.read_bytes()
    top = table.page(Query(sort=["-budget"])).rows[0]
    assert top == {"id": 1, "budget": 1250.5, "kind": "a, b"}


def test_query_connections_never_draw_a_progress_bar(tmp_path, table):
    # DuckDB draws a progress bar on stdout for any query over 2 s (building the index of a
    # million rows): it ended up in the output of `portal approve`.
    fresh = connect(tmp_path / "fresh.duckdb")
    setting = "SELECT current_setting('enable_progress_bar')"

    assert fresh.execute(setting).fetchone() == (False,)
    assert table._db.execute(setting).fetchone() == (False,)
    assert table._db.cursor().execute(setting).fetchone() == (False,)  # how queries run


def test_a_kept_answer_is_given_only_to_the_very_same_question(table, tmp_path):
    # Pages and counts are kept per table (a version never changes): asked in any order,
    # every question gets what a table that never kept anything answers.
    fresh = Table(table.path)
    questions = [
        Query({"district": ["D1"]}, sort=["-day"], limit=2),
        Query({"district": ["D2"]}, sort=["-day"], limit=2),
        Query({"district": ["D1"]}, sort=["-day"], limit=2, offset=2),
        Query({"district": ["D1"]}, sort=["day"], limit=2),
        Query({"district": ["D1"]}, sort=["-day"], limit=3),
        Query({"district": ["D1"]}, sort=["-day"], fields=["id"], limit=2),
        Query(q="traffic"),
        Query(),
    ]
    for question in [*questions, *reversed(questions), *questions]:
        answer = table.page(question)
        expected = fresh.page(question)
        fresh._pages.clear()
        fresh._counts.clear()
        assert (answer.rows, answer.total, answer.fields) == (
            expected.rows,
            expected.total,
            expected.fields,
        )


@pytest.mark.parametrize(
    "filters",
    [{}, {"injured": ["true"]}, {"day__min": ["2024-02-01"]}, {"district": ["D1", "D3"]}],
)
@pytest.mark.parametrize("q", [None, "traffic", "2"])
def test_facet_counts_are_the_counts_of_each_value_under_the_other_filters(table, filters, q):
    # One GROUP BY per field stands in for one count per value (a filtered preview shows
    # dozens): both must say the same for every value, including the ones no row has.
    for name in table.facets:
        others = {k: v for k, v in filters.items() if k != name}
        values = [
            str(item["value"]).lower() if isinstance(item["value"], bool) else str(item["value"])
            for item in table.facets[name]
            if item["value"] is not None
        ]
        counts = table.facet_counts(Query(others, q), name, values)
        for value, count in zip(values, counts, strict=True):
            assert count == table.count(Query({**others, name: [value]}, q)), (name, value)


LISTED = {
    "fields": [
        {"name": "id", "type": "integer"},
        # Listed in an order that is not alphabetical: a sort must still be alphabetical.
        {"name": "outcome", "type": "string", "constraints": {"enum": ["released", "arrested"]}},
        {"name": "force", "type": "string", "constraints": {"enum": ["taser", "baton"]}},
    ],
    "missingValues": [""],
}


def test_listed_values_sort_alphabetically_and_a_value_off_the_list_is_never_lost(tmp_path):
    # Fields limited to a list are stored compactly (a DuckDB ENUM); an older version's file
    # may hold a value its schema does not list ("firearm"): that field stays plain text.
    source = tmp_path / "listed.csv"
    source.write_text(
        "id,outcome,force\r\n1,released,taser\r\n2,arrested,firearm\r\n3,,baton\r\n4,released,\r\n",
        encoding="utf-8",
    )
    table = Table(build_index(source, LISTED, tmp_path / "listed.duckdb"))

    by_outcome = table.page(Query(sort=["outcome"]))
    by_force = table.page(Query(sort=["-force"]))

    assert [row["outcome"] for row in by_outcome.rows] == ["arrested", "released", "released", None]
    assert [row["force"] for row in by_force.rows] == ["taser", "firearm", "baton", None]
    assert table.count(Query({"force": ["firearm"]})) == 1
    assert table.count(Query({"outcome": ["arrested", ""]})) == 2
    assert table.count(Query({"outcome": ["not-listed"]})) == 0
    assert b"2,arrested,firearm\r\n" in b"".join(table.export(Query()))


@pytest.mark.parametrize(
    "filters",
    [{"injured": ["true"]}, {"district": ["D1", "D3"], "injured": ["false"]}, {"cost__min": ["3"]}],
)
@pytest.mark.parametrize("q", [None, "t"])
def test_counts_of_every_choice_at_once_are_the_counts_one_by_one(table, filters, q):
    # The preview asks for every field's choices together; fields under the same other
    # filters share one scan (GROUPING SETS), which must not change a single count.
    choices = {
        name: [str(i["value"]).lower() if isinstance(i["value"], bool) else str(i["value"])
               for i in items if i["value"] is not None]
        for name, items in table.facets.items()
    }  # fmt: skip
    together = table.choice_counts(filters, q, choices)

    for name, values in choices.items():
        others = {k: v for k, v in filters.items() if k != name}
        one_by_one = [table.count(Query({**others, name: [value]}, q)) for value in values]
        assert together[name] == one_by_one, (name, filters, q)
