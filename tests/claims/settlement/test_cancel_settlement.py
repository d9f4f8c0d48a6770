from decimal import Decimal

import pytest

from claims.errors import ServiceError
from claims.models import Accumulator, Settlement, SettlementKind, SettlementStatus, VisitStatus
from claims.settlement.services import cancel_settlement, settle_visit
from insurance.models import AccountMovement, MovementKind, PersonalAccount
from tests.claims.conftest import admit, line, local

AMOXICILLIN = "XA01ABD075A002010100483"


def _state(person):
    return {(a.kind, a.key): a.amount for a in Accumulator.objects.filter(person=person)}


@pytest.fixture
def settled(case01):
    v = admit("P0001", "H41080000001", [line(1, AMOXICILLIN, 1, "3000.00")], local(2026, 3, 1, 9),
              local(2026, 3, 5, 9))
    return settle_visit(v, setl_time=local(2026, 3, 5, 9))


def test_cancel_gives_back_every_accumulator_and_the_account(settled, django_user_model):
    user = django_user_model.objects.create_user("caseworker")
    person = settled.person
    reversal = cancel_settlement(settled, user=user, reason="医院申请撤销：重复结算")
    assert reversal.kind == SettlementKind.REVERSAL and reversal.reverses_id == settled.pk
    assert reversal.created_by == user and reversal.reason.startswith("医院申请")
    assert reversal.fund_pay_sumamt == settled.fund_pay_sumamt
    settled.refresh_from_db()
    assert settled.status == SettlementStatus.CANCELLED
    assert all(v == 0 for v in _state(person).values())
    assert PersonalAccount.objects.get(person=person).balance == Decimal("1200.00")
    back = AccountMovement.objects.get(settlement=reversal)
    assert back.kind == MovementKind.REVERSAL and back.amount == Decimal("1200.00")
    settled.visit.refresh_from_db()
    assert settled.visit.status == VisitStatus.DISCHARGED


def test_settle_again_after_cancel_gives_the_same_numbers(settled):
    cancel_settlement(settled, reason="冲销后重新结算")
    again = settle_visit(settled.visit, setl_time=settled.setl_time)
    fields = ("medfee_sumamt", "inscp_scp_amt", "act_pay_dedc", "hifp_pay", "fund_pay_sumamt", "acct_pay",
              "psn_cash_pay", "balc")
    assert {f: getattr(again, f) for f in fields} == {f: getattr(settled, f) for f in fields}
    assert Settlement.objects.count() == 3  # nothing is deleted: original, reversal, new settlement


def test_cancel_needs_a_reason_and_happens_once(settled):
    with pytest.raises(ServiceError) as exc:
        cancel_settlement(settled, reason="  ")
    assert exc.value.errors[0]["field"] == "reason"
    reversal = cancel_settlement(settled, reason="撤销")
    with pytest.raises(ServiceError) as exc:
        cancel_settlement(settled, reason="再次撤销")
    assert exc.value.errors[0]["code"] == "NOT_CANCELLABLE"
    with pytest.raises(ServiceError):
        cancel_settlement(reversal, reason="冲销的冲销")
