from decimal import Decimal

import pytest

from claims.errors import ServiceError
from claims.models import Accumulator, Settlement, SettlementAccumulation, VisitStatus
from claims.settlement.services import presettle_visit, settle_visit
from insurance.models import AccountMovement, PersonalAccount
from tests.claims.conftest import admit, line, local

AMOXICILLIN = "XA01ABD075A002010100483"
ENALAPRIL = "XC09AAL055A001010101475"


@pytest.fixture
def visit(case01):
    return admit("P0001", "H41080000001", [line(1, AMOXICILLIN, 100, "30.00"), line(2, ENALAPRIL, 10, "50.00")],
                 local(2026, 3, 2, 9), local(2026, 3, 10, 10))


def test_settle_stores_amounts_lines_accumulators_and_account(visit):
    s = settle_visit(visit, setl_time=local(2026, 3, 10, 10))
    # inscp 3000 + 450 (乙 500 less 10% self-pay-first); deductible 800; pool 80%
    assert s.medfee_sumamt == Decimal("3500.00")
    assert s.preselfpay_amt == Decimal("50.00")
    assert s.inscp_scp_amt == Decimal("3450.00")
    assert s.act_pay_dedc == Decimal("800.00")
    assert s.hifp_pay == Decimal("2120.00")
    assert s.psn_part_amt == Decimal("1380.00")
    assert s.acct_pay == Decimal("1200.00") and s.psn_cash_pay == Decimal("180.00")
    assert s.balc == Decimal("0.00")
    assert s.lines.count() == 2
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SETTLED
    acc = {(a.kind, a.key): a.amount for a in Accumulator.objects.filter(person=visit.person, year=2026)}
    assert acc[("cap_paid", "employee_pool")] == Decimal("2120.00")
    assert acc[("deductible_used", "21")] == Decimal("800.00")
    assert acc[("admissions", "")] == Decimal("1")
    assert PersonalAccount.objects.get(person=visit.person).balance == Decimal("0.00")
    movement = AccountMovement.objects.get(settlement=s)
    assert movement.amount == Decimal("-1200.00") and movement.balance_after == Decimal("0.00")
    assert SettlementAccumulation.objects.filter(settlement=s, kind="cap_paid").get().delta == Decimal("2120.00")


def test_presettle_writes_nothing(visit):
    preview = presettle_visit(visit, setl_time=local(2026, 3, 10, 10))
    assert preview["hifp_pay"] == Decimal("2120.00")
    assert {ln["feedetl_sn"] for ln in preview["lines"]} == {"1", "2"}
    assert not Settlement.objects.exists()
    assert not Accumulator.objects.filter(person=visit.person).exists()
    assert PersonalAccount.objects.get(person=visit.person).balance == Decimal("1200.00")


def test_settling_twice_is_refused(visit):
    settle_visit(visit, setl_time=local(2026, 3, 10, 10))
    with pytest.raises(ServiceError) as exc:
        settle_visit(visit, setl_time=local(2026, 3, 10, 11))
    assert exc.value.errors[0]["code"] == "ALREADY_SETTLED"
    assert Settlement.objects.count() == 1


def test_a_visit_without_lines_is_refused(case01):
    v = admit("P0001", "H41080000001", [line(1, AMOXICILLIN, 1, "1.00")], local(2026, 3, 2, 9), None)
    from claims.intake.services import cancel_fee_lines
    cancel_fee_lines(v)
    with pytest.raises(ServiceError) as exc:
        settle_visit(v, setl_time=local(2026, 3, 10, 10))
    assert exc.value.errors[0]["code"] == "NO_LINES"


def test_no_policy_in_force_is_refused_and_nothing_written(visit):
    with pytest.raises(ServiceError) as exc:
        settle_visit(visit, setl_time=local(2027, 1, 5, 10))
    assert exc.value.errors[0]["code"] == "NO_POLICY"
    assert not Settlement.objects.exists()


def test_second_admission_carries_the_year(case01):
    first = admit("P0001", "H41080000001", [line(1, AMOXICILLIN, 1, "1000.00")], local(2026, 3, 1, 9),
                  local(2026, 3, 5, 9))
    second = admit("P0001", "H41080000002", [line(1, AMOXICILLIN, 1, "1000.00")], local(2026, 4, 1, 9),
                   local(2026, 4, 5, 9))
    settle_visit(first, setl_time=local(2026, 3, 5, 9))
    s2 = settle_visit(second, setl_time=local(2026, 4, 5, 9))
    assert s2.act_pay_dedc == Decimal("600.00")  # level 2, a new admission: its own deductible
    assert s2.hifp_pay == Decimal("340.00")  # (1000 - 600) × 0.85
    assert Accumulator.objects.get(person=second.person, year=2026, kind="admissions").amount == Decimal("2")
