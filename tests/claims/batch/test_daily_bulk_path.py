"""The daily job's COPY/set-based path stores exactly what the ORM path stores, audit hits included."""
import datetime as dt
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from claims.batch import jobs as daily
from claims.models import Accumulator, FeeLine, Settlement, SettlementAccumulation, SettlementLine
from insurance.models import AccountMovement, PersonalAccount
from policy_rules.models import AuditRuleDefinition
from review.models import AuditHit, ReviewEvent, SuspectItem
from tests.claims.batch.test_night_agrees import replay_nightly

DAY = dt.date(2026, 3, 16)
PACK = Path(__file__).resolve().parents[3] / "policy_rules" / "fixtures" / "demo-city-2026.json"
PROJECT_CASES = PACK.parent / "cases"
AMOUNTS = ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
           "act_pay_dedc", "hifp_pay", "hifob_pay", "hifmi_pay", "maf_pay", "fund_pay_sumamt", "psn_part_amt",
           "acct_pay", "psn_cash_pay", "balc", "ineligible_reason", "setl_time", "status",
           "cvlserv_pay", "hifdm_pay", "oth_pay", "matn_pay", "matn_alwn_amt")


def snapshot() -> dict:
    return {
        # the setl_id's date part (its format is the plan's, the same on both paths); the rest is random
        "settlements": {s["visit__mdtrt_id"]: {**s, "setl_id": s["setl_id"][:9]}
                        for s in Settlement.objects.values("visit__mdtrt_id", "setl_id", "med_type", *AMOUNTS)},
        "lines": set(SettlementLine.objects.values_list(
            "settlement__visit__mdtrt_id", "feedetl_sn", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt",
            "inscp_scp_amt", "chrgitm_lv", "selfpay_prop", "reason")),
        "fee_lines": set(FeeLine.objects.values_list("visit__mdtrt_id", "feedetl_sn", "fulamt_ownpay_amt",
                                                     "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
                                                     "chrgitm_lv", "selfpay_prop", "reason")),
        "accumulators": set(Accumulator.objects.values_list("person__psn_no", "year", "kind", "key", "amount")),
        "deltas": set(SettlementAccumulation.objects.values_list("settlement__visit__mdtrt_id", "kind", "key",
                                                                 "delta")),
        "accounts": set(PersonalAccount.objects.values_list("person__psn_no", "balance")),
        "movements": set(AccountMovement.objects.values_list("settlement__visit__mdtrt_id", "amount",
                                                             "balance_after", "kind", "reason")),
        "hits": {
            (h.visit.mdtrt_id, h.settlement.visit.mdtrt_id, h.rule_code, h.rule_type, h.severity, h.stage,
             tuple(sorted(h.feedetl_sns)), len(h.fee_line_ids), h.amount, h.evidence, h.related_mdtrt_id,
             h.related_visit_id is not None, h.item.rule.code if h.item_id else None)
            for h in AuditHit.objects.select_related("visit", "settlement__visit", "item__rule")
        },
        "items": set(SuspectItem.objects.values_list("settlement__visit__mdtrt_id", "rule__code", "amount_at_stake",
                                                     "state", "institution_id")),
        "events": set(ReviewEvent.objects.values_list("item__settlement__visit__mdtrt_id", "item__rule__code",
                                                      "action", "to_state", "amount", "reason")),
    }


@pytest.mark.django_db
def test_bulk_path_equals_orm_path(settings):
    """Two days of a synthetic city: the second day's audit uses the institutions' statistics of the first."""
    assert connection.vendor == "postgresql"
    call_command("import_policy", str(PACK))
    call_command("synth_city", "--persons", "400", "--institutions", "12", "--days", "2", "--visits-per-day", "300",
                 "--seed", "7", "--start-date", (DAY - dt.timedelta(days=1)).isoformat())
    call_command("load_default_rules")
    for rule in AuditRuleDefinition.objects.filter(rule_type="outlier"):  # small city: few visits per institution
        rule.params = {**rule.params, "min_visits": 3}
        rule.save()
    results = {}
    for bulk in (False, True):
        settings.DAILY_JOB_BULK = bulk
        with transaction.atomic():
            first = daily.run_day(DAY - dt.timedelta(days=1), chunks=3)
            job = daily.run_day(DAY, chunks=3)
            assert first.visits_settled + job.visits_settled == 600
            results[bulk] = snapshot()
            transaction.set_rollback(True)
    orm, copy = results[False], results[True]
    assert len(orm["settlements"]) == 600 and len(orm["lines"]) > 3000
    assert len(orm["hits"]) > 50 and len(orm["items"]) > 10  # the synthetic city breaks some rules
    assert "outlier" in {h[3] for h in orm["hits"]}  # a rule that reads the first day's statistics
    for key in orm:
        assert orm[key] == copy[key], key


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["civil-servant.json", "veterans.json", "maternity.json"])
def test_bulk_path_equals_orm_path_with_layers(settings, name):
    """The two readers fill the layers' visit columns (parallel enrollments, dise_codg, matn_type, the employer's
    wage: claims.settlement.layer_facts) alike: the project's case files settle to the same rows either way."""
    doc = json.loads((PROJECT_CASES / name).read_text(encoding="utf-8"))
    results = {}
    for bulk in (False, True):
        settings.DAILY_JOB_BULK = bulk
        with transaction.atomic():
            replay_nightly(doc)
            results[bulk] = snapshot()
            transaction.set_rollback(True)
    orm, copy = results[False], results[True]
    assert len(orm["settlements"]) == len(doc["visits"])
    layered = [s for s in orm["settlements"].values()
               if any(s[c] for c in ("cvlserv_pay", "hifdm_pay", "oth_pay", "matn_pay", "matn_alwn_amt"))]
    assert layered  # visits with layers
    for key in orm:
        assert orm[key] == copy[key], key
