"""The smart-audit review's test world: the demo policy pack, a small catalog, two hospitals with their
API users, the four bureau roles, two audit rules, settled visits, and hit frames made by hand in the
audit engine's shape (rule_code, rule_type, severity, mdtrt_id, feedetl_sns, amount_fen, evidence,
related_mdtrt_id)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pandas as pd
import pytest
from rest_framework.test import APIClient

from claims.intake.services import discharge_visit, register_visit, upload_fee_lines
from claims.models import Settlement
from claims.roles import ensure_roles
from claims.settlement.services import settle_visit
from insurance.models import Institution, Person
from policy_rules.models import AuditRuleDefinition
from review import services as review
from review.models import HitStage
from tests.factories import (
    AuditRuleDefinitionFactory,
    CatalogItemFactory,
    DemoPolicyFactory,
    InstitutionFactory,
    InstitutionUserFactory,
    InsuredPersonFactory,
    TokenFactory,
    UserFactory,
)
from tests.factories import local_dt as local

D = Decimal
PASSWORD = "pw-12345678"

CATALOG = [  # code, name, chrg_lv
    ("XA01ABD075A002010100483", "阿莫西林胶囊", "01"),
    ("250101001", "血常规", "01"),
    ("001102000010000", "床位费(三人间)", "01"),
    ("331001001", "阑尾切除术", "01"),
]
# 8 days in a tertiary hospital: 30 + 2×25 + 8×50 + 2000 = 2480.00, all class A;
# the fund pays (2480 − 800 deductible) × 80% = 1344.00
LINES = [
    {"feedetl_sn": "1", "med_list_codg": "XA01ABD075A002010100483", "cnt": "20", "pric": "1.50",
     "det_item_fee_sumamt": "30.00"},
    {"feedetl_sn": "2", "med_list_codg": "250101001", "cnt": "1", "pric": "25.00", "det_item_fee_sumamt": "25.00"},
    {"feedetl_sn": "3", "med_list_codg": "250101001", "cnt": "1", "pric": "25.00", "det_item_fee_sumamt": "25.00"},
    {"feedetl_sn": "4", "med_list_codg": "001102000010000", "cnt": "8", "pric": "50.00",
     "det_item_fee_sumamt": "400.00"},
    {"feedetl_sn": "5", "med_list_codg": "331001001", "cnt": "1", "pric": "2000.00", "det_item_fee_sumamt": "2000.00"},
]
FUND_PAID = D("1344.00")
HIT_COLUMNS = ["rule_code", "rule_type", "severity", "mdtrt_id", "feedetl_sns", "amount_fen", "evidence",
               "related_mdtrt_id"]


def hits_frame(*hits: dict) -> pd.DataFrame:
    """A run_audit()-shaped frame; each hit gives at least rule_code, mdtrt_id and amount_fen."""
    rows = []
    for h in hits:
        rule = AuditRuleDefinition.objects.get(code=h["rule_code"])
        rows.append({"rule_type": rule.rule_type, "severity": rule.severity, "feedetl_sns": ("2", "3"),
                     "evidence": "同日重复收取血常规 2 次", "related_mdtrt_id": None, **h})
    return pd.DataFrame(rows, columns=HIT_COLUMNS)


def make_user(username: str, *roles: str, institution: Institution | None = None, **extra):
    """A login with a password (PASSWORD), in the bureau's role groups, optionally of an institution."""
    user = UserFactory(username=username, password=PASSWORD, roles=roles, **extra)
    if institution is not None:
        InstitutionUserFactory(user=user, institution=institution)
    return user


def make_person(psn_no: str) -> Person:
    """An insured employee with an empty personal account."""
    return InsuredPersonFactory(psn_no=psn_no, account__balance=D("0.00"))


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {TokenFactory(user=user).key}")
    return client


class World(SimpleNamespace):
    def settled_visit(self, psn_no: str | None = None, institution: Institution | None = None,
                      lines=LINES) -> Settlement:
        """A visit admitted 2026-03-02, discharged and settled 2026-03-10 under the demo pack."""
        self.n += 1
        psn_no = psn_no or f"P{self.n:04d}"
        if not Person.objects.filter(psn_no=psn_no).exists():
            make_person(psn_no)
        visit = register_visit(institution=institution or self.inst_a, psn_no=psn_no, med_type="21",
                               begntime=local(2026, 3, 2, 9))
        upload_fee_lines(visit, lines, audit=False)  # hits are recorded by the tests themselves
        visit = discharge_visit(visit, endtime=local(2026, 3, 10, 10))
        return settle_visit(visit, setl_time=local(2026, 3, 10, 10), audit=False)

    def record(self, settlement: Settlement, *hits: dict, stage: str = HitStage.SETTLEMENT) -> dict:
        visit = settlement.visit
        frame = hits_frame(*[{"mdtrt_id": visit.mdtrt_id, **h} for h in hits])
        return review.record_hits(frame, stage=stage, visits_by_mdtrt={visit.mdtrt_id: visit},
                                  settlements_by_mdtrt={visit.mdtrt_id: settlement})

    def item(self, settlement: Settlement | None = None, amount_fen: int = 5000, rule: str = "DUP-01"):
        """A pending suspect item on a (new) settled visit of institution A."""
        settlement = settlement or self.settled_visit()
        return self.record(settlement, {"rule_code": rule, "amount_fen": amount_fen})["items"][0]

    def confirmed(self, amount="30.00", user=None, **kwargs):
        item = self.item(**kwargs)
        return review.confirm_item(item, user=user or self.reviewer, amount=D(amount), reason="同日重复收费属实")

    def appealed(self, **kwargs):
        item = self.confirmed(**kwargs)
        return review.file_appeal(item, user=self.hosp_a, explanation="第二次血常规为复查，有医嘱")


@pytest.fixture
def world(db) -> World:
    w = World(n=0)
    w.policy = DemoPolicyFactory(source_name="demo")
    for code, name, chrg_lv in CATALOG:
        CatalogItemFactory(med_list_codg=code, name=name, chrg_lv=chrg_lv, list_type="",
                           effective_from=dt.date(2025, 1, 1))
    w.inst_a = InstitutionFactory(fixmedins_code="H41080000001", name="示范市第一人民医院", level=3, region="410800")
    w.inst_b = InstitutionFactory(fixmedins_code="H41080000002", name="示范市中医院", level=2, region="410800")
    w.groups = ensure_roles()
    w.caseworker = make_user("jingban", "caseworker")
    w.reviewer = make_user("shenhe1", "reviewer")
    w.reviewer2 = make_user("shenhe2", "reviewer")
    w.appeal_reviewer = make_user("fuhe1", "appeal_reviewer")
    w.supervisor = make_user("jihe", "supervisor", is_staff=True)
    w.nobody = make_user("nobody")
    w.hosp_a = make_user("h1_clerk", institution=w.inst_a)
    w.hosp_b = make_user("h2_clerk", institution=w.inst_b)
    w.dup_rule = AuditRuleDefinitionFactory(code="DUP-01", name="同日重复收费", rule_type="duplicate_charge", params={},
                                            severity="suspect", effective_from=dt.date(2026, 1, 1))
    w.bed_rule = AuditRuleDefinitionFactory(code="BED-01", name="床日数超过住院天数", rule_type="bed_days",
                                            params={"codes": ["001102000010000"]}, severity="suspect",
                                            effective_from=dt.date(2026, 1, 1))
    w.warn_rule = AuditRuleDefinitionFactory(code="PRICE-W", name="超标准收费提醒", rule_type="price_markup", params={},
                                             severity="warn", effective_from=dt.date(2026, 1, 1))
    return w
