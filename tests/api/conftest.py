import pytest

from tests.api.base import build_world


@pytest.fixture
def world(db):
    return build_world()
