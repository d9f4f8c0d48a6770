"""confirm_item: a reviewer confirms a pending item for 0 < amount ≤ at stake; a deduction is recorded on
the institution; the patient's settlement is never reopened."""
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from claims.errors import ServiceError
from claims.models import Settlement, SettlementStatus, VisitStatus
from fund_budget.models import AuditDeduction
from insurance.models import AccountMovement
from review import services as review
from review.models import ReviewAction, ReviewEvent, SuspectState
from tests.factories import InsuredPersonFactory

from .conftest import FUND_PAID

D = Decimal


def test_confirming_records_the_deduction_and_the_event(world):
    item = world.item(amount_fen=5000)
    item = review.confirm_item(item, user=world.reviewer, amount=D("30.00"), reason="同日重复收费属实，核减30元")
    item.refresh_from_db()
    assert item.state == SuspectState.CONFIRMED and item.confirmed_amount == D("30.00")
    assert item.confirmed_by == world.reviewer and item.confirmed_at is not None
    deduction = AuditDeduction.objects.get()
    assert item.deduction == deduction
    assert (deduction.institution, deduction.amount, deduction.reason) == (world.inst_a, D("30.00"),
                                                                            "同日重复收费属实，核减30元")
    assert (deduction.source_type, deduction.source_id) == ("audit.suspect", str(item.pk))
    assert deduction.confirmed_by == world.reviewer and deduction.reversed_at is None
    event = ReviewEvent.objects.filter(item=item).last()
    assert (event.action, event.from_state, event.to_state, event.amount, event.actor) == (
        ReviewAction.CONFIRMED, "pending", "confirmed", D("30.00"), world.reviewer)
    assert event.reason == "同日重复收费属实，核减30元"


def test_the_whole_amount_at_stake_may_be_confirmed(world):
    item = review.confirm_item(world.item(amount_fen=5000), user=world.reviewer, amount="50.00", reason="属实")
    assert item.confirmed_amount == item.amount_at_stake == D("50.00")


def test_the_patients_settlement_is_not_reopened(world):
    settlement = world.settled_visit()
    movements = AccountMovement.objects.count()
    item = world.item(settlement=settlement)
    review.confirm_item(item, user=world.reviewer, amount=D("50.00"), reason="属实")
    fresh = Settlement.objects.get(pk=settlement.pk)
    assert fresh.status == SettlementStatus.SETTLED and fresh.fund_pay_sumamt == FUND_PAID
    assert Settlement.objects.filter(visit=settlement.visit).count() == 1  # no reversal
    assert fresh.visit.status == VisitStatus.SETTLED and AccountMovement.objects.count() == movements


@pytest.mark.parametrize("amount, code", [
    ("50.01", "ABOVE_AT_STAKE"), ("0", "NOT_POSITIVE"), ("-1.00", "NOT_POSITIVE"), ("1.234", "TOO_MANY_DECIMALS"),
    ("abc", "NOT_DECIMAL"), (1.5, "NOT_DECIMAL"),
])
def test_the_amount_must_be_positive_and_at_most_at_stake(world, amount, code):
    item = world.item(amount_fen=5000)
    with pytest.raises(ServiceError) as exc:
        review.confirm_item(item, user=world.reviewer, amount=amount, reason="属实")
    assert exc.value.errors[0]["field"] == "amount" and exc.value.errors[0]["code"] == code
    item.refresh_from_db()
    assert item.state == SuspectState.PENDING and not AuditDeduction.objects.exists()


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_reason_is_required(world, reason):
    item = world.item()
    with pytest.raises(ServiceError) as exc:
        review.confirm_item(item, user=world.reviewer, amount=D("10.00"), reason=reason)
    assert exc.value.errors[0]["field"] == "reason" and exc.value.errors[0]["code"] == "REQUIRED"
    assert not AuditDeduction.objects.exists()


@pytest.mark.parametrize("who", ["caseworker", "appeal_reviewer", "supervisor", "hosp_a", "nobody"])
def test_only_a_reviewer_confirms(world, who):
    item = world.item()
    with pytest.raises(PermissionDenied):
        review.confirm_item(item, user=getattr(world, who), amount=D("10.00"), reason="属实")
    item.refresh_from_db()
    assert item.state == SuspectState.PENDING and not AuditDeduction.objects.exists()


def test_an_item_is_confirmed_once(world):
    item = world.confirmed(amount="10.00")
    with pytest.raises(ServiceError) as exc:
        review.confirm_item(item, user=world.reviewer2, amount=D("20.00"), reason="再次确认")
    assert exc.value.errors[0]["code"] == "NOT_PENDING"
    assert AuditDeduction.objects.get().amount == D("10.00")


def test_a_dismissed_item_cannot_be_confirmed(world):
    item = review.dismiss_item(world.item(), user=world.reviewer, reason="有医嘱")
    with pytest.raises(ServiceError) as exc:
        review.confirm_item(item, user=world.reviewer, amount=D("10.00"), reason="属实")
    assert exc.value.errors[0]["code"] == "NOT_PENDING" and not AuditDeduction.objects.exists()


@pytest.mark.parametrize("insutype, fund", [("310", "310100"), ("390", "390100")])
def test_the_deduction_is_booked_to_the_pool_that_paid_the_settlement(world, insutype, fund):
    InsuredPersonFactory(psn_no=f"F{insutype}", account__balance=D("0.00"), enrollment__insutype=insutype)
    item = world.item(settlement=world.settled_visit(psn_no=f"F{insutype}"))
    review.confirm_item(item, user=world.reviewer, amount=D("10.00"), reason="属实")
    assert AuditDeduction.objects.get().fund == fund
