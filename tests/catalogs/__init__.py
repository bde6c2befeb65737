"""Tests of the open-data catalogue formats."""

import pytest

# For tests whose outcome cannot depend on the database engine: SQLite only, to stay quick.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
