"""The release tests' fixtures (SQLite, a tiny dataset, a fake clock, local receivers)."""

from tests.releases.conftest import (  # noqa: F401  (fixtures, found by name)
    clock,
    config,
    database_url,
    history,
    receiver,
    scheduler,
)
