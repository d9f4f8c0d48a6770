"""Per-bed-day and per-disease visits (gain and loss against fee for service) and capitation with a penalty."""
import datetime as dt
from decimal import Decimal

import pytest

from fund_budget.capitation import reconcile_capitation, record_penalty
from fund_budget.common import FundError
from fund_budget.models import (
    CapitationContract,
    CapitationReconciliation,
    MonthlyStatement,
    PaymentMethod,
    PaymentStandard,
)

from .conftest import local, make_institution, make_settlement, reverse, settle, worked_parameters

pytestmark = pytest.mark.django_db
D = Decimal


def methods(statement) -> dict:
    return {m.method: (m.visits, m.ffs_fund_amount, m.claim_amount, m.gain_loss) for m in statement.method_lines.all()}


@pytest.fixture
def level2(db):
    worked_parameters(2026)
    hospital = make_institution(2, level=2)
    PaymentStandard.objects.create(year=2026, level=2, med_type="21", method=PaymentMethod.PER_BED_DAY,
                                   standard=D("300.00"), name="二级医院普通住院床日")
    PaymentStandard.objects.create(year=2026, institution=hospital, med_type="21", method=PaymentMethod.PER_DISEASE,
                                   disease_code="K35.800", standard=D("5000.00"), name="急性阑尾炎")
    # a level-3 standard and another year's must not apply
    PaymentStandard.objects.create(year=2026, level=3, med_type="21", method=PaymentMethod.PER_BED_DAY,
                                   standard=D("900.00"))
    PaymentStandard.objects.create(year=2025, level=2, med_type="21", method=PaymentMethod.PER_BED_DAY,
                                   standard=D("100.00"))
    return hospital


@pytest.fixture
def march_visits(level2, person, policy):
    h, kw = level2, {"person": person, "policy": policy}
    return {
        # 8 days × 300 = 2400 − 400 = 2000 owed; fee for service 1800 → gain 200
        "a": make_settlement(h, local(2026, 3, 9, 9), hifp="1800", psn_part="400", begin=local(2026, 3, 1, 10),
                             end=local(2026, 3, 9, 9), diagnoses=["I10"], **kw),
        # 2 days × 300 = 600 − 250 = 350; fee for service 900 → loss 550
        "b": make_settlement(h, local(2026, 3, 4, 15), hifp="900", psn_part="250", begin=local(2026, 3, 2, 8),
                             end=local(2026, 3, 4, 15), **kw),
        # admitted and discharged the same day: 1 day, 300 − 400 < 0 → 0 owed; loss 100
        "c": make_settlement(h, local(2026, 3, 6, 18), hifp="100", psn_part="400", begin=local(2026, 3, 6, 8),
                             end=local(2026, 3, 6, 18), **kw),
        # appendicitis: 5000 − 1200 = 3800; fee for service 4500 → loss 700 (per disease before per bed day)
        "d": make_settlement(h, local(2026, 3, 12), hifp="4000", hifob="500", psn_part="1200",
                             begin=local(2026, 3, 8), end=local(2026, 3, 12), diagnoses=[{"diag_code": "K35.800"}],
                             **kw),
        # secondary diagnosis listed after one without a standard: 5000 − 800 = 4200; FFS 3000 → gain 1200
        "e": make_settlement(h, local(2026, 3, 20), hifp="3000", psn_part="800", begin=local(2026, 3, 15),
                             end=local(2026, 3, 20), diagnoses=["I10", "k35.800"], **kw),
        # an outpatient visit: fee for service
        "f": make_settlement(h, local(2026, 3, 21), hifp="60", psn_part="40", med_type="11", **kw),
    }


def test_per_bed_day_and_per_disease_gains_and_losses(level2, march_visits):
    settle("2026-03")
    st = MonthlyStatement.objects.get(institution=level2, month=dt.date(2026, 3, 1))
    assert methods(st) == {
        PaymentMethod.FEE_FOR_SERVICE: (1, D("60.00"), D("60.00"), D("0.00")),
        PaymentMethod.PER_BED_DAY: (3, D("2800.00"), D("2350.00"), D("-450.00")),
        PaymentMethod.PER_DISEASE: (2, D("7500.00"), D("8000.00"), D("500.00")),
    }
    # fee for service 10360, +50 for the standards; the gain goes to the pooling fund's line
    assert (st.ffs_fund_amount, st.standard_gain_loss, st.fund_amount) == (D("10360.00"), D("50.00"), D("10410.00"))
    assert st.withheld == D("520.50") and st.payable == D("9889.50")
    assert {line.fund: line.amount for line in st.lines.all()} == {"310100": D("9910.00"), "330100": D("500.00")}
    assert sum(line.withheld for line in st.lines.all()) == st.withheld


def test_a_reversal_mirrors_the_standard_of_the_original(level2, march_visits):
    settle("2026-03")
    reverse(march_visits["a"], local(2026, 4, 2))
    reverse(march_visits["d"], local(2026, 4, 3))
    settle("2026-04")
    st = MonthlyStatement.objects.get(month=dt.date(2026, 4, 1))
    assert methods(st) == {
        PaymentMethod.PER_BED_DAY: (-1, D("-1800.00"), D("-2000.00"), D("-200.00")),
        PaymentMethod.PER_DISEASE: (-1, D("-4500.00"), D("-3800.00"), D("700.00")),
    }
    assert st.fund_amount == D("-5800.00")  # −2000 − 3800: exactly what March paid for the two visits


def test_capitation_monthly_payment_covered_visits_and_penalty(db, person, policy):
    worked_parameters(2026)
    clinic = make_institution(3, level=1)
    contract = CapitationContract.objects.create(institution=clinic, year=2026, heads=1000, monthly_rate=D("12.50"),
                                                 covered_med_type="11")
    make_settlement(clinic, local(2026, 1, 8), person=person, policy=policy, hifp="60", psn_part="40", med_type="11")
    make_settlement(clinic, local(2026, 1, 9), person=person, policy=policy, hifp="1000", psn_part="300")
    for month in ("2026-01", "2026-02", "2026-03"):
        settle(month)
    jan = MonthlyStatement.objects.get(month=dt.date(2026, 1, 1))
    # the outpatient visit is covered by the capitation; 1000 fee for service, 5 % withheld, + 1000 × 12.50
    assert (jan.ffs_fund_amount, jan.fund_amount, jan.withheld, jan.capitation_amount, jan.payable) == (
        D("1000.00"), D("1000.00"), D("50.00"), D("12500.00"), D("13450.00"))
    assert methods(jan) == {
        PaymentMethod.FEE_FOR_SERVICE: (1, D("1000.00"), D("1000.00"), D("0.00")),
        PaymentMethod.CAPITATION: (1, D("60.00"), D("12500.00"), D("12440.00")),
    }
    feb = MonthlyStatement.objects.get(month=dt.date(2026, 2, 1))
    assert (feb.fund_amount, feb.capitation_amount, feb.net_payable) == (D("0.00"), D("12500.00"), D("12500.00"))

    record_penalty(contract, date=dt.date(2026, 3, 15), amount="1000.00", cases=2, reason="推诿签约患者 2 例，每例 500 元")
    with pytest.raises(FundError):
        record_penalty(contract, date=dt.date(2027, 1, 2), amount="500", reason="年度外")
    assert reconcile_capitation(2026) == {"created": 1, "updated": 0, "unchanged": 0}
    rec = CapitationReconciliation.objects.get(contract=contract)
    assert (rec.months, rec.monthly_total, rec.penalty_total, rec.net) == (3, D("37500.00"), D("1000.00"),
                                                                           D("36500.00"))
    assert reconcile_capitation(2026) == {"created": 0, "updated": 0, "unchanged": 1}


def test_capitation_coverage_wins_over_standards_and_follows_the_visits_year(level2, person, policy):
    worked_parameters(2027)
    CapitationContract.objects.create(institution=level2, year=2026, heads=10, monthly_rate=D("100"),
                                      covered_med_type="21")
    visit = make_settlement(level2, local(2026, 12, 20), person=person, policy=policy, hifp="1800", psn_part="400",
                            begin=local(2026, 12, 12), end=local(2026, 12, 20))
    settle("2026-12")
    dec = MonthlyStatement.objects.get(month=dt.date(2026, 12, 1))
    assert methods(dec) == {PaymentMethod.CAPITATION: (1, D("1800.00"), D("1000.00"), D("-800.00"))}
    assert (dec.fund_amount, dec.capitation_amount, dec.payable) == (D("0.00"), D("1000.00"), D("1000.00"))
    # cancelled in January 2027 (no contract that year): still the 2026 contract's visit, so no FFS refund
    reverse(visit, local(2027, 1, 5))
    settle("2027-01")
    jan = MonthlyStatement.objects.get(month=dt.date(2027, 1, 1))
    assert (jan.fund_amount, jan.capitation_amount) == (D("0.00"), D("0.00"))
    assert methods(jan) == {PaymentMethod.CAPITATION: (-1, D("-1800.00"), D("0.00"), D("1800.00"))}
