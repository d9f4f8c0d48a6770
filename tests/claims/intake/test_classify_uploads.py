"""classify_uploads: a day's uploaded lines classified at once, nothing settled; both paths store the same."""
import datetime as dt
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from claims.batch import jobs as daily
from claims.models import FeeLine, Settlement, Visit, VisitStatus

DAY = dt.date(2026, 3, 16)
PACK = Path(__file__).resolve().parents[3] / "policy_rules" / "fixtures" / "demo-city-2026.json"
SPLIT = ("visit__mdtrt_id", "feedetl_sn", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
         "chrgitm_lv", "selfpay_prop", "reason")


@pytest.fixture
def unclassified_day(db):
    call_command("import_policy", str(PACK))
    call_command("seed_demo", "--date", DAY.isoformat(), "--persons", "200")
    FeeLine.objects.update(inscp_scp_amt=None, fulamt_ownpay_amt=None, reason="")
    return FeeLine.objects.count()


@pytest.mark.django_db
def test_both_paths_classify_every_line_of_the_day_and_settle_nothing(unclassified_day, settings):
    assert connection.vendor == "postgresql"
    results = {}
    for bulk in (False, True):
        settings.DAILY_JOB_BULK = bulk
        with transaction.atomic():
            assert daily.classify_uploads(DAY, chunks=3) == unclassified_day
            assert not FeeLine.objects.filter(inscp_scp_amt__isnull=True).exists()
            assert not Settlement.objects.exists()
            assert not Visit.objects.filter(status=VisitStatus.SETTLED).exists()
            results[bulk] = set(FeeLine.objects.values_list(*SPLIT))
            transaction.set_rollback(True)
    assert len(results[False]) == unclassified_day
    assert results[False] == results[True]


@pytest.mark.django_db
def test_a_second_run_rewrites_nothing(unclassified_day):
    daily.classify_uploads(DAY, chunks=2)
    before = set(FeeLine.objects.values_list("pk", *SPLIT[2:]))
    with connection.cursor() as cursor:
        cursor.execute("SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = 'claims_feeline'")
        updated = cursor.fetchone()[0]
    daily.classify_uploads(DAY, chunks=2)
    with connection.cursor() as cursor:
        cursor.execute("SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = 'claims_feeline'")
        assert cursor.fetchone()[0] == updated  # the bulk path writes only splits that differ
    assert set(FeeLine.objects.values_list("pk", *SPLIT[2:])) == before


@pytest.mark.django_db
def test_the_command_reports_the_count(unclassified_day, capsys):
    call_command("classify_uploads", "--date", DAY.isoformat())
    assert f"classified {unclassified_day} fee lines uploaded on {DAY}" in capsys.readouterr().out
    assert not FeeLine.objects.filter(inscp_scp_amt__isnull=True).exists()


def test_the_command_names_a_bad_date():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--date"):
        call_command("classify_uploads", "--date", "2026-13-01")
