"""review as an app of its own: one direction between the apps, the moved models on their old tables and
database names, the content types under the new label, and the pure hit helpers usable without Django."""
import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from review.hits import HIT_ROW, SEVERITIES, hit_key
from review.models import Appeal, AuditHit, HitSeverity, ReviewEvent, SuspectItem

ROOT = Path(__file__).resolve().parents[2]
MOVED = {AuditHit: "claims_audithit", SuspectItem: "claims_suspectitem", Appeal: "claims_appeal",
         ReviewEvent: "claims_reviewevent"}


def _imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at module level or inside functions."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", ["fund_budget", "claims/models"])
def test_fund_budget_and_the_claims_models_never_import_review(package):
    offenders = [f"{p.relative_to(ROOT)}: {m}" for p in sorted((ROOT / package).rglob("*.py"))
                 for m in _imported_modules(p) if m == "review" or m.startswith("review.")]
    assert not offenders, offenders


def test_the_moved_models_keep_their_tables():
    assert {model: model._meta.db_table for model in MOVED} == MOVED
    assert {model._meta.app_label for model in MOVED} == {"review"}


@pytest.mark.django_db
def test_the_append_only_trigger_keeps_its_database_name():
    [trigger] = ReviewEvent._meta.triggers
    assert trigger.get_pgid(ReviewEvent) == "pgtrigger_append_only_7b2e7"  # as claims 0007 installed it
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'claims_reviewevent'::regclass "
                       "AND NOT tgisinternal")
        assert [row[0] for row in cursor.fetchall()] == ["pgtrigger_append_only_7b2e7"]


@pytest.mark.django_db
def test_content_types_and_permissions_are_under_review():
    for model in MOVED:
        ct = ContentType.objects.get_for_model(model)
        assert (ct.app_label, ct.model) == ("review", model._meta.model_name)
        assert Permission.objects.filter(content_type=ct, codename=f"view_{model._meta.model_name}").exists()
    assert not ContentType.objects.filter(app_label="claims", model__in=[m._meta.model_name for m in MOVED]).exists()


def test_the_hit_severities_are_the_models():
    assert set(SEVERITIES) == set(HitSeverity.values)


def test_the_hit_helpers_load_nothing_of_django():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    code = ("import sys; from review.hits import hit_key; "
            "print(hit_key('settlement', 'DUP-01', 1, 2, ['2', '1'], 2500, '')); "
            "print(any(m == 'django' or m.startswith('django.') for m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    key, loaded_django = run.stdout.split()
    assert key == hit_key("settlement", "DUP-01", 1, 2, ["1", "2"], 2500, "")  # the lines' order does not matter
    assert loaded_django == "False"


def test_the_stored_hit_row_is_the_models():
    """review.hits.HIT_ROW, the one layout of a stored hit (its three writers write it, AuditHit(*row) reads it)."""
    assert HIT_ROW == tuple(f.attname for f in AuditHit._meta.concrete_fields)
    assert HIT_ROW == tuple(f.column for f in AuditHit._meta.concrete_fields)
