"""Helpers for the fund-budget tests: institutions, settlements written directly (keeping the amount
invariants the database enforces), reversals, the worked example's parameters and month runs."""
import datetime as dt
import itertools
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from claims.models import Settlement, SettlementKind, SettlementStatus, Visit, VisitStatus
from core.periods import month_bounds
from fund_budget.common import parse_month
from fund_budget.models import FundThreshold, FundYearParameters
from fund_budget.monthly import settle_month
from insurance.models import Gender, Institution, Person
from policy_rules.services import import_policy_pack

ROOT = Path(__file__).resolve().parents[2]
D = Decimal
_seq = itertools.count(1)


def local(*args) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


@pytest.fixture
def policy(db):
    with open(ROOT / "policy_rules" / "fixtures" / "demo-city-2026.json", encoding="utf-8") as fh:
        return import_policy_pack(json.load(fh))


@pytest.fixture
def person(db):
    return Person.objects.create(psn_no=f"FP{next(_seq):06d}", name="张三", gender=Gender.MALE,
                                 birth_date=dt.date(1970, 5, 1))


def make_institution(code: int, level: int = 3, region: str = "410800", name: str = "") -> Institution:
    return Institution.objects.create(fixmedins_code=f"H4108{code:07d}", name=name or f"测试医院{code}", level=level,
                                      region=region)


def worked_parameters(year: int, region: str = "", **overrides) -> FundYearParameters:
    """The spec's worked-example parameters."""
    values = {
        "withholding_rate": D("0.05"), "retain_share_a": D("0.4"), "retain_share_aa": D("0.5"),
        "retain_share_aaa": D("0.6"), "retain_ceiling": D("0.15"), "overspend_tolerance": D("0.10"),
        "overspend_share_a": D("0.5"), "overspend_share_aa": D("0.6"), "overspend_share_aaa": D("0.7"),
        "up_factor": D("0.03"), "down_factor": D("0.03"),
    }
    values.update(overrides)
    return FundYearParameters.objects.create(year=year, region=region, **values)


def threshold(params: FundYearParameters, fund: str, amount) -> FundThreshold:
    return FundThreshold.objects.create(parameters=params, fund=fund, item_by_item_threshold=D(str(amount)))


def make_settlement(institution, when: dt.datetime, *, person, policy, hifp="0", hifob="0", hifmi="0", maf="0",
                    psn_part="0", med_type="21", begin=None, end=None, diagnoses=None,
                    created_at: dt.datetime | None = None) -> Settlement:
    """A settlement at `when` (recorded a minute later unless created_at is given)."""
    hifp, hifob, hifmi, maf, psn_part = (D(str(v)) for v in (hifp, hifob, hifmi, maf, psn_part))
    fund = hifp + hifob + hifmi + maf
    medfee = fund + psn_part
    begin = begin or when - dt.timedelta(days=3)
    end = end if end is not None else when
    visit = Visit.objects.create(mdtrt_id=f"FV{next(_seq):010d}", person=person, institution=institution,
                                 med_type=med_type, begntime=begin, endtime=end, diagnoses=diagnoses or [],
                                 status=VisitStatus.SETTLED)
    s = Settlement.objects.create(
        setl_id=f"FS{next(_seq):010d}", visit=visit, person=person, institution=institution, policy_version=policy,
        setl_time=when, med_type=med_type, medfee_sumamt=medfee, fulamt_ownpay_amt=D("0"), overlmt_selfpay=D("0"),
        preselfpay_amt=D("0"), inscp_scp_amt=medfee, act_pay_dedc=D("0"), hifp_pay=hifp, hifob_pay=hifob,
        hifmi_pay=hifmi, maf_pay=maf, fund_pay_sumamt=fund, psn_part_amt=psn_part, acct_pay=D("0"),
        psn_cash_pay=psn_part)
    Settlement.objects.filter(pk=s.pk).update(created_at=created_at or when + dt.timedelta(minutes=1))
    return s


AMOUNTS = ["medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt", "act_pay_dedc",
           "hifp_pay", "hifob_pay", "hifmi_pay", "maf_pay", "fund_pay_sumamt", "psn_part_amt", "acct_pay",
           "psn_cash_pay"]


def reverse(s: Settlement, when: dt.datetime, created_at: dt.datetime | None = None) -> Settlement:
    """The cancellation (冲销) of a settlement at `when`: same positive amounts, kind reversal."""
    Settlement.objects.filter(pk=s.pk).update(status=SettlementStatus.CANCELLED)
    r = Settlement.objects.create(
        setl_id=f"FR{next(_seq):010d}", kind=SettlementKind.REVERSAL, reverses=s, visit=s.visit, person=s.person,
        institution=s.institution, policy_version=s.policy_version, setl_time=when, med_type=s.med_type, reason="测试撤销",
        **{f: getattr(s, f) for f in AMOUNTS})
    Settlement.objects.filter(pk=r.pk).update(created_at=created_at or when + dt.timedelta(minutes=1))
    return r


def statement_day_cutoff(month: str) -> dt.datetime:
    """The cutoff of a run on the 10th at 06:15 after the month (minus the default hour of lag)."""
    end = month_bounds(parse_month(month))[1]
    return end + dt.timedelta(days=9, hours=5, minutes=15)


def settle(month: str, cutoff: dt.datetime | None = None):
    return settle_month(parse_month(month), cutoff=cutoff or statement_day_cutoff(month))


def at_time(model_qs, field: str, when: dt.datetime):
    """Move a recorded event (confirmed_at, reversed_at) to a given time."""
    model_qs.update(**{field: when})
