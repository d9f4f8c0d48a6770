"""Shared test setup. `make test` sets REQUIRE_POSTGRES=1: the suite then refuses to run on anything
but PostgreSQL, so a missing DATABASE_URL can never turn into a silent SQLite run."""
import os

import pytest


def pytest_configure(config):
    # WhiteNoise warns when STATIC_ROOT has not been collected, which tests never need.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")


def pytest_sessionstart(session):
    if os.environ.get("REQUIRE_POSTGRES") != "1":
        return
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        raise pytest.UsageError(
            f"REQUIRE_POSTGRES=1 but the configured database engine is {engine!r}. "
            "Set DATABASE_URL to a PostgreSQL server (make test does this), "
            "e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/yibao. "
            "测试必须在 PostgreSQL 上运行，请设置 DATABASE_URL。"
        )


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Every test starts with an empty cache: the API's throttle counts (config/settings.py) live there, and
    one test's requests must not count against the next's."""
    from django.core.cache import cache  # imported here: after pytest-django has set Django up

    cache.clear()
    yield
