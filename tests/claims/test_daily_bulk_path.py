"""The daily job's COPY/set-based path stores exactly what the ORM path stores."""
import datetime as dt
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from claims import daily
from claims.models import Accumulator, FeeLine, Settlement, SettlementAccumulation, SettlementLine
from insurance.models import AccountMovement, PersonalAccount

DAY = dt.date(2026, 3, 16)
PACK = Path(__file__).resolve().parents[2] / "policy_rules" / "fixtures" / "demo-city-2026.json"
AMOUNTS = ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
           "act_pay_dedc", "hifp_pay", "hifob_pay", "hifmi_pay", "maf_pay", "fund_pay_sumamt", "psn_part_amt",
           "acct_pay", "psn_cash_pay", "balc", "ineligible_reason", "setl_time", "status")


def snapshot() -> dict:
    return {
        "settlements": {s["visit__mdtrt_id"]: s for s in Settlement.objects.values("visit__mdtrt_id", *AMOUNTS)},
        "lines": set(SettlementLine.objects.values_list(
            "settlement__visit__mdtrt_id", "feedetl_sn", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt",
            "inscp_scp_amt", "chrgitm_lv", "selfpay_prop", "reason")),
        "fee_lines": set(FeeLine.objects.values_list("visit__mdtrt_id", "feedetl_sn", "inscp_scp_amt", "reason")),
        "accumulators": set(Accumulator.objects.values_list("person__psn_no", "year", "kind", "key", "amount")),
        "deltas": set(SettlementAccumulation.objects.values_list("settlement__visit__mdtrt_id", "kind", "key",
                                                                 "delta")),
        "accounts": set(PersonalAccount.objects.values_list("person__psn_no", "balance")),
        "movements": set(AccountMovement.objects.values_list("settlement__visit__mdtrt_id", "amount",
                                                             "balance_after")),
    }


@pytest.mark.django_db
def test_bulk_path_equals_orm_path(settings):
    assert connection.vendor == "postgresql"
    call_command("import_policy", str(PACK))
    call_command("seed_demo", "--date", DAY.isoformat(), "--persons", "300")
    results = {}
    for bulk in (False, True):
        settings.DAILY_JOB_BULK = bulk
        with transaction.atomic():
            job = daily.run_day(DAY, chunks=3)
            assert job.visits_settled == 600
            results[bulk] = snapshot()
            transaction.set_rollback(True)
    orm, copy = results[False], results[True]
    assert len(orm["settlements"]) == 600 and len(orm["lines"]) > 3000
    for key in orm:
        assert orm[key] == copy[key], key
