"""dismiss_item: a reviewer closes a pending item without deduction, with a reason."""
import pytest
from django.core.exceptions import PermissionDenied

from claims.errors import ServiceError
from fund_budget.models import AuditDeduction
from review import services as review
from review.models import ReviewAction, ReviewEvent, SuspectState


def test_dismissing_closes_the_item_without_deduction(world):
    item = world.item()
    review.dismiss_item(item, user=world.reviewer, reason="第二次检验为复查，有医嘱")
    item.refresh_from_db()
    assert item.state == SuspectState.DISMISSED and item.dismissed_by == world.reviewer
    assert item.dismissed_at is not None and item.confirmed_amount is None and item.deduction is None
    assert item.review_reason == "第二次检验为复查，有医嘱"
    assert not AuditDeduction.objects.exists()
    event = ReviewEvent.objects.filter(item=item).last()
    assert (event.action, event.from_state, event.to_state, event.actor, event.reason) == (
        ReviewAction.DISMISSED, "pending", "dismissed", world.reviewer, "第二次检验为复查，有医嘱")


def test_a_reason_is_required(world):
    item = world.item()
    with pytest.raises(ServiceError) as exc:
        review.dismiss_item(item, user=world.reviewer, reason=" ")
    assert exc.value.errors == [{"line": None, "field": "reason", "code": "REQUIRED",
                                 "message": exc.value.errors[0]["message"]}]
    item.refresh_from_db()
    assert item.state == SuspectState.PENDING


@pytest.mark.parametrize("who", ["caseworker", "appeal_reviewer", "hosp_a", "nobody"])
def test_only_a_reviewer_dismisses(world, who):
    item = world.item()
    with pytest.raises(PermissionDenied):
        review.dismiss_item(item, user=getattr(world, who), reason="无问题")
    item.refresh_from_db()
    assert item.state == SuspectState.PENDING and ReviewEvent.objects.filter(item=item).count() == 1


def test_a_confirmed_item_cannot_be_dismissed(world):
    item = world.confirmed()
    with pytest.raises(ServiceError) as exc:
        review.dismiss_item(item, user=world.reviewer2, reason="改判")
    assert exc.value.errors[0]["code"] == "NOT_PENDING"
    item.refresh_from_db()
    assert item.state == SuspectState.CONFIRMED and AuditDeduction.objects.get().reversed_at is None


def test_cancelling_a_settlement_dismisses_its_pending_items_and_keeps_confirmed_ones(world):
    from claims.settlement.services import cancel_settlement

    settlement = world.settled_visit()
    pending = world.item(settlement=settlement)
    confirmed = world.confirmed(settlement=world.settled_visit())
    cancel_settlement(settlement, user=world.caseworker, reason="机构申请撤销重新结算")
    pending.refresh_from_db()
    assert pending.state == SuspectState.DISMISSED and pending.dismissed_by == world.caseworker
    assert pending.review_reason == "结算已撤销：机构申请撤销重新结算"
    event = ReviewEvent.objects.filter(item=pending).last()
    assert (event.action, event.from_state, event.to_state) == (ReviewAction.DISMISSED, SuspectState.PENDING,
                                                                SuspectState.DISMISSED)
    cancel_settlement(confirmed.settlement, user=world.caseworker, reason="撤销")
    confirmed.refresh_from_db()
    assert confirmed.state == SuspectState.CONFIRMED
