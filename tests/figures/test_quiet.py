"""Figures never draw DuckDB's progress bar into `portal approve`'s output."""

from __future__ import annotations

from portal.figures.tables import connection


def test_figure_connections_have_no_progress_bar() -> None:
    # DuckDB draws one on stdout for a query over 2 s: the figures of a million-row table
    # put "99% ▕███▌▏" into the output of `portal approve` (bench/publish.py showed it).
    with connection() as db:
        assert db.execute("SELECT current_setting('enable_progress_bar')").fetchone() == (False,)
