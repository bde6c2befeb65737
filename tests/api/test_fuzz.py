"""Property-based fuzzing of the whole API from its own OpenAPI document (schemathesis).

Every operation gets generated requests, valid and invalid (random path names, and the
published demo dataset's real ones so that queries reach the tables); every answer must be
a non-5xx response that matches the schema documented for its status code.

Not checked: that every schema-valid request is accepted. Which field names `sort`, `fields`
and the filters accept depends on the table, so a well-formed name the table lacks is a
documented 400, not a defect.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance

from portal import create_app
from tests.support.demo import DemoPortals

DEMO_TODAY = date(2026, 11, 24)  # the date the other users of the demo template build it for
EXAMPLES = 25  # per operation, mode and path: the whole run stays well under a minute
REAL_PATHS = [
    {"slug": "use-of-force", "resource": "incidents"},
    {"slug": "use-of-force", "resource": "monthly-summary"},
]


@pytest.fixture
def demo_app(tmp_path, demo_portals: DemoPortals) -> Iterator[Flask]:
    """The app on a copy of `portal demo` (SQLite): every dataset and the policies published,
    so /policies/use-of-force/… reach real versions. A copy: a query may build a missing index."""
    app = create_app(demo_portals.copy(tmp_path / "demo", DEMO_TODAY, "test-secret-key"))
    yield app
    app.extensions["portal"].db.dispose()


def test_every_operation_answers_within_its_schema(demo_app):
    app = demo_app
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14

    for operation in operations:
        names = {parameter.name for parameter in operation.path_parameters}
        paths = [None] + [{k: v for k, v in p.items() if k in names} for p in REAL_PATHS] * bool(
            names
        )
        # A bare path string has no invalid form: negative cases need query parameters.
        modes = [GenerationMode.POSITIVE] + [GenerationMode.NEGATIVE] * (len(operation.query) > 0)
        for mode in modes:
            for path in paths:
                strategy = operation.as_strategy(generation_mode=mode, path_parameters=path)

                @given(case=strategy)
                @settings(
                    max_examples=EXAMPLES,
                    deadline=None,
                    database=None,
                    derandomize=True,
                    suppress_health_check=list(HealthCheck),
                )
                def answers_within_schema(case: schemathesis.Case) -> None:
                    case.call_and_validate(excluded_checks=[positive_data_acceptance])

                answers_within_schema()
