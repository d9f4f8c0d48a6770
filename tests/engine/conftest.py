"""Engine tests: the pure adjudication engine (policy_rules.engine), frames in and frames out.

They never touch a database, so they run anywhere, also without PostgreSQL:

    DEBUG=1 .venv/bin/pytest tests/engine          # the Django settings want DEBUG=1 or a SECRET_KEY
    .venv/bin/pytest -p no:django tests/engine     # or without loading Django at all

The root tests/conftest.py may insist on PostgreSQL (REQUIRE_POSTGRES=1, as `make test` sets); that check
is about the Django tests' database and costs the engine tests nothing. pytest-django blocks database
access for every test without the django_db mark, and the hook below refuses the mark in this directory,
so an engine test that reaches for the database fails loudly instead of quietly needing one.
"""
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents and item.get_closest_marker("django_db"):
            raise pytest.UsageError(f"{item.nodeid}: engine tests are pure and must not use the database")
