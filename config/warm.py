"""A web server process's start: load what its requests will reach, then take it out of the garbage collector's
sight.

A gunicorn worker keeps everything it imports (Django, DRF, pandas, the engine, the URLconf's views) for its whole
life. CPython's collector still walks those objects in every full (generation 2) pass, and the pandas frames of a
settlement set such a pass off every few dozen requests: each one walked the process's whole heap, tens of
milliseconds at a time (docs/benchmarks.md, "The collector at the counter"). gc.freeze() moves everything alive at
that moment into a permanent generation that no pass walks; objects made later are collected as before.
"""
from __future__ import annotations

import gc

from django.urls import get_resolver


def warm_and_freeze() -> None:
    """Import every module a request can reach (the URLconf's views, and through them the services and the
    engine), collect what start-up left behind, and freeze the rest."""
    get_resolver().url_patterns  # noqa: B018 — the URLconf's import, which Django otherwise makes on the first request
    gc.collect()
    gc.freeze()
