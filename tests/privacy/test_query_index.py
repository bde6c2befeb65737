"""The query index behind the API and the previews holds no never-publish value.

The index is a DuckDB file built from the published CSV, with typed columns beside the
published text. It is opened here the way the API opens it (`engine.open_table`), and
every cell of it, typed and as text, and its metadata (facets, schema), is compared with
the never-publish values of the source, in canonical form and as whole words.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date

import polars as pl
import pytest
from sqlalchemy import select

from portal.datasets.context import Portal
from portal.demo import use_of_force
from portal.models import Version
from portal.privacy.leaks import Secrets, find, gather
from portal.query import engine
from portal.query.index import connect
from tests.flow import approve, run
from tests.privacy.test_corpus import HEADER, ROWS, TEXT, declared, source
from tests.support.demo import DemoPortals

DEMO_TODAY = date(2026, 11, 24)  # the date the other users of the demo template build it for


@pytest.fixture
def demo(tmp_path, demo_portals: DemoPortals) -> Iterator[Portal]:
    """A copy of `portal demo` (use-of-force published): opening a table may write its index."""
    portal = Portal(demo_portals.copy(tmp_path / "demo", DEMO_TODAY, "test-secret-key"))
    yield portal
    portal.db.dispose()


def index_tables(portal, slug: str) -> dict[str, pl.DataFrame]:
    """Every table's index, opened as the API opens it: every cell, typed (`f<i>`) and as
    published (`t<i>`), as text, and each string of its metadata (facet values, schema)."""
    with portal.db.session() as session:
        version = session.scalars(
            select(Version).where(Version.dataset.has(slug=slug)).order_by(Version.id.desc())
        ).first()
        resources = sorted({f.resource_name for f in version.files if f.media_type == "text/csv"})
        tables = {}
        for resource in resources:
            table = engine.open_table(portal.config.data_dir, version, resource)
            with connect(table.path, read_only=True) as con:
                cursor = con.execute("SELECT COLUMNS(*)::VARCHAR FROM rows")
                names = [d[0] for d in cursor.description]
                rows = pl.DataFrame(
                    cursor.fetchall(), schema=dict.fromkeys(names, pl.String), orient="row"
                )
                meta = json.loads(con.execute("SELECT value FROM meta").fetchone()[0])
            assert rows.height == table.row_count > 0
            tables[resource] = rows
            # Facet counts are numbers of rows, not cells: only the metadata's text is data.
            tables[f"{resource} (meta)"] = pl.DataFrame({"text": list(strings(meta))})
    return tables


def strings(value) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def secrets(path, never_publish: list[str], names_from: list[str]) -> Secrets:
    frame = pl.read_csv(path, infer_schema=False)
    names = {c: frame[c].drop_nulls().to_list() for c in names_from}
    return gather(frame.lazy(), never_publish, names)


def leaks(table: pl.DataFrame, found: Secrets) -> list[str]:
    """Where the table holds a never-publish value (whole cells, canonical form) or a
    value or name token inside a cell (whole words, any case): the guard's own search, plus
    a plain look for each name token, as a second opinion.

    Every cell is searched as a cell of one text column: `find` looks at each cell on its
    own, but builds its automaton of the ~50,000 patterns once per column (0.5 s each)."""
    cells = table.with_row_index("row").unpivot(
        index="row", variable_name="column", value_name="cell"
    )
    hits = []
    for f in find(cells.select("cell"), ["cell"], found):
        met = cells[sorted(f.rows)]
        for (column,), rows in met.group_by("column", maintain_order=True):
            hits.append(f"{column} ~ {f.column} rows {rows['row'].sort().to_list()[:3]}")
    words = re.compile(
        r"(?<!\w)(?:" + "|".join(re.escape(n) for n in sorted(found.names)) + r")(?!\w)",
        re.IGNORECASE,
    )
    for column in table.columns:
        cells = table.get_column(column).drop_nulls().to_list()
        hits += [f"{column}: {cell!r}" for cell in cells if words.search(cell)][:3]
    return hits


def test_the_demo_query_index_holds_no_never_publish_value(demo):
    incidents = demo.definition("use-of-force").resource("incidents")
    names_from = incidents.privacy["scrub"]["names_from"]
    # The demo's export as it is now: every row of the published version and a month more.
    export = demo.config.data_dir / "demo-sources" / "use-of-force" / use_of_force.FILE_NAME
    found = secrets(export, list(incidents.never_publish), names_from)
    assert found.values.height > 1000 and len(found.names) >= 20  # the export has them

    tables = index_tables(demo, "use-of-force")

    assert set(tables) >= {"incidents", "monthly-summary"}
    for name, table in tables.items():
        assert not leaks(table, found), f"{name}: {leaks(table, found)[:3]}"
    # The check read real cells, not an empty index.
    assert tables["incidents"].get_column("t0").str.contains(r"^UOF-\d{4}-\d+$").all()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_scrubbed_narrative_reaches_the_index_scrubbed(portal, tmp_path, officer):
    """Without the guard, the index would hold the officer's and the subject's names and a
    badge number, as the source narrative does; with it, only the markers."""
    texts = [
        f"Officer {r[3].split()[-1]} (badge {r[2]}) restrained {r[4]} on {r[5]}." for r in ROWS
    ]
    rows = [r[:7] + [t] for r, t in zip(ROWS, texts, strict=True)]
    case = declared(
        portal,
        tmp_path,
        fields=[TEXT, {"name": "narrative", "type": "string", "free_text": True}],
        columns={"incident_id": "IncidentNo", "narrative": "Notes"},
        source=source(rows, HEADER),
        privacy={"scrub": {"fields": ["narrative"], "names_from": ["OfficerName", "SubjectName"]}},
    )
    found = secrets(
        case.config.data_dir / "source.csv",
        ["Badge", "OfficerName", "SubjectName", "DOB", "Address"],
        ["OfficerName", "SubjectName"],
    )
    # The narratives as the source has them (what the index would hold without the guard).
    raw = pl.DataFrame({"t1": texts})
    assert len(leaks(raw, found)) >= 3
    result = run(case, "case")
    assert result.status.value == "succeeded", result.error
    approve(case, officer, "case")

    records = index_tables(case, "case")["records"]

    assert not leaks(records, found)
    assert records.get_column("t1").to_list()[0] == (
        "Officer [name] (badge [withheld]) restrained [name] [name] on [withheld]."
    )
