"""Fixtures for the catalogue tests: published datasets, the official DCAT-US schemas."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from portal.config import REPO_ROOT
from portal.datasets.context import Portal
from portal.models import Version
from tests.conftest import DEMO_UNTIL
from tests.flow import publish

# The official schemas, copied unedited into the repository (tests/conformance/README.md).
DCAT_US = REPO_ROOT / "tests" / "conformance" / "dcat-us-v1.1" / "non-federal"


@pytest.fixture
def dcat_validator() -> jsonschema.Draft4Validator:
    """A validator for a whole data.json: catalog.json, its $refs resolved within the folder."""
    if not (DCAT_US / "catalog.json").is_file():
        pytest.fail(
            f"the official DCAT-US v1.1 schemas are missing: expected {DCAT_US}/catalog.json "
            "(tests/conformance/README.md says where they come from)"
        )
    registry = Registry()
    schemas = {}
    for path in sorted(DCAT_US.glob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        schemas[path.name] = contents
        # Registered under their own `id`, so relative $refs resolve against each other.
        resource = Resource.from_contents(contents, default_specification=DRAFT4)
        registry = registry.with_resource(contents["id"].rstrip("#"), resource)
    checker = jsonschema.Draft4Validator.FORMAT_CHECKER
    assert "uri" in checker.checkers, "pip install rfc3986-validator so URI formats are checked"
    return jsonschema.Draft4Validator(
        schemas["catalog.json"], registry=registry, format_checker=checker
    )


@pytest.fixture
def bwc_source(portal: Portal) -> Path:
    from portal.demo import body_worn_cameras

    return body_worn_cameras.generate(
        portal.config.data_dir / "demo-sources" / "body-worn-cameras", until=DEMO_UNTIL
    )["monthly-usage"]


@pytest.fixture
def two_versions(portal: Portal, uof_source: Path, officer: str) -> tuple[Version, Version]:
    """Use of force published twice: a month's data, then the next month's."""
    from portal.demo import use_of_force

    use_of_force.generate(uof_source.parent, until=date(2026, 10, 1))
    first = publish(portal, officer)
    use_of_force.generate(uof_source.parent, until=DEMO_UNTIL)
    return first, publish(portal, officer)
