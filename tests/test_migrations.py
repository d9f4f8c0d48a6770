"""Migrations are complete, and apply on SQLite too (the demo's database; pgtrigger skips it)."""
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_models_and_migrations_agree():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


@pytest.mark.slow
def test_migrations_apply_on_sqlite(tmp_path):
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'check.sqlite3'}"}
    migrate = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=300)
    assert migrate.returncode == 0, migrate.stderr
    shown = subprocess.run([sys.executable, "manage.py", "showmigrations", "insurance", "policy_rules", "claims"],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert shown.returncode == 0 and "[ ]" not in shown.stdout and "[X] 0001_initial" in shown.stdout


@pytest.mark.django_db
def test_every_declared_constraint_and_index_exists_in_the_database():
    """Django's AlterField(db_index=False) drops every index on the column, a partial unique constraint's too;
    the models' constraints and indexes must all be there after the migrations, by name."""
    from django.apps import apps
    from django.db import connection

    missing = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            if model._meta.proxy or not model._meta.managed:
                continue
            table = model._meta.db_table
            present = set(connection.introspection.get_constraints(cursor, table))
            for item in [*model._meta.constraints, *model._meta.indexes]:
                name = item.name % {"app_label": model._meta.app_label, "class": model.__name__.lower()}
                if name not in present:
                    missing.append(f"{table}.{name}")
    assert not missing, missing
