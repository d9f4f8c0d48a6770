"""A scratch database for a command that loads files into an empty database and compares (run_cases,
run_dip_cases): a test database is created for the run and dropped after, and each file runs in a transaction
that is rolled back, so no file sees another's data."""
from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection, transaction

T = TypeVar("T")

SCRATCH_SQLITE = Path(settings.BASE_DIR) / "var" / "scratch-cases.sqlite3"


class _Rollback(Exception):
    pass


@contextlib.contextmanager
def scratch_database(suffix: str, *, keepdb: bool = False) -> Iterator[None]:
    """The default connection on a fresh test database `<NAME>_<suffix>` (SQLite: in memory) for the block.
    keepdb keeps it between runs, migrated forward (SQLite: the file SCRATCH_SQLITE), so that replaying the
    migrations is paid once rather than by every runner and every run; each file still runs rolled back."""
    old_name = connection.settings_dict["NAME"]
    test_settings = connection.settings_dict.setdefault("TEST", {})
    if connection.vendor != "sqlite":
        test_settings.setdefault("NAME", f"{old_name}_{suffix}")
    elif keepdb and not test_settings.get("NAME"):
        # kept SQLite: one file for every runner (`make cases` runs two), under the git-ignored var/
        SCRATCH_SQLITE.parent.mkdir(parents=True, exist_ok=True)
        test_settings["NAME"] = str(SCRATCH_SQLITE)
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False, keepdb=keepdb)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=keepdb)


def rolled_back(run: Callable[..., T], *args) -> T:
    """run(*args) in a transaction that is then rolled back; its result."""
    holder = {}
    try:
        with transaction.atomic():
            holder["result"] = run(*args)
            raise _Rollback
    except _Rollback:
        pass
    return holder["result"]


def read_json_files(names, what: str) -> list[tuple[Path, object]]:
    """(path, parsed document) of each file; CommandError naming a missing or malformed one."""
    docs = []
    for name in names:
        path = Path(name)
        try:
            docs.append((path, json.loads(path.read_text(encoding="utf-8"))))
        except FileNotFoundError as exc:
            raise CommandError(f"{name}: no such file") from exc
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CommandError(f"{name}: malformed {what}: not valid JSON ({exc})") from exc
    return docs
