"""`portal policies …` and `portal verify` for policies, as a script would run them."""

from __future__ import annotations

import re

import pytest

from portal.cli import main

only_sqlite = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@only_sqlite
def test_sync_lists_candidates_that_are_approved_rejected_and_verified(runner, portal, officer):
    synced = runner.invoke(main, ["policies", "sync"])
    assert synced.exit_code == 0, synced.output
    assert "use-of-force: 2026-09-01.md: new candidate, effective 2026-09-01" in synced.output
    again = runner.invoke(main, ["policies", "sync"])
    assert "2026-09-01.md: unchanged (already candidate)" in again.output

    listed = runner.invoke(main, ["policies", "candidates"]).output.splitlines()
    assert len(listed) == 8
    first = re.match(
        r"(\d+)\tuse-of-force\tcandidate\teffective 2019-01-01",
        next(line for line in listed if "\tuse-of-force\t" in line),
    )
    assert first is not None
    approve = ["policies", "approve", first.group(1), "--by", "officer@example.org"]
    refused = runner.invoke(main, [*approve, "--summary", " "])
    assert refused.exit_code == 1
    assert "error: write a summary of changes" in refused.output
    done = runner.invoke(main, [*approve, "--summary", "As adopted in 2019."])
    assert done.output == "use-of-force: published version 1\n"
    twice = runner.invoke(main, [*approve, "--summary", "Again"])
    assert twice.exit_code == 1 and "already published" in twice.output

    verified = runner.invoke(main, ["verify", "policy:use-of-force"])
    assert verified.exit_code == 0, verified.output
    assert "policies intact: 1 versions, 2 files match" in verified.output
