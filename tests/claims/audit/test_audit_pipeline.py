"""The smart-audit rules run inside upload, pre-settlement, settlement and the daily job."""
import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from claims.audit.pipeline import warnings_of
from claims.batch import jobs as daily
from claims.intake.services import register_visit, upload_fee_lines
from claims.models import Upload
from claims.settlement.services import presettle_visit, settle_visit
from insurance.models import Institution
from policy_rules.engine.audit.runner import OUTPUT_COLUMNS
from policy_rules.engine.columnar import exact_columns
from policy_rules.models import AuditRuleDefinition
from review.models import AuditHit, SuspectItem
from tests.claims.conftest import admit, line, local

BLOOD_TEST = "250101001"
BED = "001102000010000"


@pytest.fixture
def rules(case01):
    AuditRuleDefinition.objects.create(code="FREQ-T", name="血常规每日一次", rule_type="frequency",
                                       params={"codes": [BLOOD_TEST], "max": 1, "per": "day"}, severity="warn",
                                       effective_from=dt.date(2026, 1, 1))
    AuditRuleDefinition.objects.create(code="BED-01", name="床日数超过住院天数", rule_type="bed_days",
                                       params={"codes": [BED]}, severity="suspect",
                                       effective_from=dt.date(2026, 1, 1))


def timed(sn, code, cnt, pric, when):
    return {**line(sn, code, cnt, pric), "fee_ocur_time": when.isoformat()}


def test_warnings_of_hits_as_columns_are_those_of_the_frame():
    """The counter's audit hands its hits over as Columns (engine.columnar): the same warnings as of the frame."""
    hits = pd.DataFrame({"rule_code": ["FREQ-T", "BED-01"], "rule_type": ["frequency", "bed_days"],
                         "severity": ["warn", "suspect"], "mdtrt_id": ["M1", "M1"],
                         "feedetl_sns": [("1", "2"), ()], "amount_fen": np.array([2500, 28000], np.int64),
                         "evidence": ["a", "b"], "related_mdtrt_id": [None, None]})[OUTPUT_COLUMNS]
    columns = exact_columns({c: hits[c].to_numpy().copy() for c in hits.columns})
    assert columns is not None
    assert warnings_of(columns) == warnings_of(hits) == [
        {"rule_code": "FREQ-T", "rule_type": "frequency", "severity": "warn", "feedetl_sns": ["1", "2"],
         "amount": Decimal("25.00"), "evidence": "a"},
        {"rule_code": "BED-01", "rule_type": "bed_days", "severity": "suspect", "feedetl_sns": [],
         "amount": Decimal("280.00"), "evidence": "b"}]
    assert warnings_of(exact_columns({c: hits[c].to_numpy()[:0] for c in hits.columns})) == []


def test_upload_and_presettle_warn_the_institution(rules):
    visit = register_visit(institution=Institution.objects.get(fixmedins_code="H41080000001"), psn_no="P0001",
                           med_type="21", begntime=local(2026, 3, 2, 9))
    out = upload_fee_lines(visit, [timed(1, BLOOD_TEST, 1, "25.00", local(2026, 3, 2, 10)),
                                   timed(2, BLOOD_TEST, 1, "25.00", local(2026, 3, 2, 15))])
    assert [(w["rule_code"], w["amount"]) for w in out["warnings"]] == [("FREQ-T", Decimal("25.00"))]
    assert "超过每日 1 次" in out["warnings"][0]["evidence"]
    preview = presettle_visit(visit, setl_time=local(2026, 3, 3, 9))
    assert [w["rule_code"] for w in preview["warnings"]] == ["FREQ-T"]
    assert set(AuditHit.objects.values_list("stage", flat=True)) == {"upload", "presettle"}
    assert not SuspectItem.objects.exists()


def test_settlement_opens_a_suspect_item(rules):
    visit = admit("P0001", "H41080000001", [timed(1, BED, 10, "40.00", local(2026, 3, 4, 9)),
                   line(2, "XA01ABD075A002010100483", 1, "3000.00")],
                  local(2026, 3, 2, 9), local(2026, 3, 5, 9))
    s = settle_visit(visit, setl_time=local(2026, 3, 5, 9))
    item = SuspectItem.objects.get()
    assert item.settlement == s and item.rule.code == "BED-01"
    assert item.amount_at_stake == Decimal("280.00")  # 10 bed-days billed for a 3-day stay: 7 × 40
    assert AuditHit.objects.filter(stage="settlement", settlement=s).count() == 1


def test_the_daily_job_audits_what_it_settles(rules):
    admit("P0001", "H41080000001", [timed(1, BED, 10, "40.00", local(2026, 3, 4, 9)),
                   line(2, "XA01ABD075A002010100483", 1, "3000.00")],
          local(2026, 3, 2, 9), local(2026, 3, 5, 9))
    Upload.objects.update(created_at=local(2026, 3, 5, 18))
    job = daily.run_day(dt.date(2026, 3, 5), chunks=2)
    assert job.visits_settled == 1
    assert SuspectItem.objects.get().settlement.daily_job == job
