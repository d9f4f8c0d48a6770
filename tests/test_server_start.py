"""A web server process's start (config.warm, config.wsgi): the URLconf loaded and what start-up made frozen out
of the collector's passes, in the process that imports the WSGI application."""
import gc
import importlib
import sys

import pytest

from config.warm import warm_and_freeze


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process's collector as it was


def test_start_loads_the_views_and_freezes_what_is_alive(unfrozen):
    sys.modules.pop("config.urls", None)
    warm_and_freeze()
    assert "config.urls" in sys.modules and "claims.api.views" in sys.modules
    frozen = gc.get_freeze_count()
    assert frozen > 10_000  # Django, DRF, pandas and the project's modules
    later = [[]]  # a container made after the freeze: in the youngest generation, collected as before
    assert gc.get_freeze_count() == frozen and any(o is later for o in gc.get_objects(generation=0))
    assert len(gc.get_objects(generation=2)) < frozen / 10  # the oldest generation no longer holds start-up's objects


def test_the_wsgi_module_freezes_at_import(unfrozen):
    sys.modules.pop("config.wsgi", None)
    wsgi = importlib.import_module("config.wsgi")
    assert callable(wsgi.application)
    assert gc.get_freeze_count() > 10_000
