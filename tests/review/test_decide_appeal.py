"""decide_appeal: an appeal reviewer other than the confirmer (four eyes) upholds the deduction or
reverses it; a reversed deduction is given back through fund_budget, the settlement is never reopened."""
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied

from claims.errors import ServiceError
from claims.models import Settlement, SettlementStatus
from fund_budget.models import AuditDeduction
from review import services as review
from review.models import Appeal, AppealState, ReviewAction, ReviewEvent, SuspectItem, SuspectState

from .conftest import FUND_PAID, make_user

D = Decimal


def test_reversing_gives_the_deduction_back(world):
    appeal = world.appealed(amount="30.00")
    review.decide_appeal(appeal, user=world.appeal_reviewer, upheld=False, reason="复查有医嘱，扣款撤销")
    appeal.refresh_from_db()
    item = SuspectItem.objects.get(pk=appeal.item_id)
    assert appeal.state == AppealState.REVERSED and appeal.decided_by == world.appeal_reviewer
    assert appeal.decision_reason == "复查有医嘱，扣款撤销" and appeal.decided_at is not None
    assert item.state == SuspectState.REVERSED and item.confirmed_amount == D("30.00")
    deduction = AuditDeduction.objects.get()
    assert deduction.reversed_at is not None and deduction.reversed_by == world.appeal_reviewer
    assert deduction.reverse_reason == "复查有医嘱，扣款撤销"
    event = ReviewEvent.objects.filter(item=item).last()
    assert (event.action, event.from_state, event.to_state, event.actor, event.appeal) == (
        ReviewAction.APPEAL_REVERSED, "appealed", "reversed", world.appeal_reviewer, appeal)


def test_upholding_keeps_the_deduction(world):
    appeal = world.appealed()
    review.decide_appeal(appeal, user=world.appeal_reviewer, upheld=True, reason="无复查医嘱")
    appeal.refresh_from_db()
    assert appeal.state == AppealState.UPHELD
    assert SuspectItem.objects.get(pk=appeal.item_id).state == SuspectState.CONFIRMED
    assert AuditDeduction.objects.get().reversed_at is None
    assert ReviewEvent.objects.filter(item_id=appeal.item_id).last().action == ReviewAction.APPEAL_UPHELD


def test_four_eyes_the_confirmer_may_not_decide(world):
    both = make_user("shenhe_fuhe", "reviewer", "appeal_reviewer")
    appeal = world.appealed(user=both)
    with pytest.raises(PermissionDenied, match="四眼"):
        review.decide_appeal(appeal, user=both, upheld=False, reason="自己复核")
    appeal.refresh_from_db()
    assert appeal.state == AppealState.FILED and AuditDeduction.objects.get().reversed_at is None
    # another appeal reviewer may
    review.decide_appeal(appeal, user=world.appeal_reviewer, upheld=False, reason="复查有医嘱")
    assert Appeal.objects.get(pk=appeal.pk).state == AppealState.REVERSED


def test_four_eyes_binds_superusers_too(world):
    boss = make_user("root", is_superuser=True, is_staff=True)
    appeal = world.appealed(user=boss)
    assert boss.has_perm("claims.decide_appeal", appeal)  # Django's superuser shortcut...
    with pytest.raises(PermissionDenied):  # ...is not what the service asks
        review.decide_appeal(appeal, user=boss, upheld=False, reason="自己复核")
    assert Appeal.objects.get(pk=appeal.pk).state == AppealState.FILED


@pytest.mark.parametrize("who", ["reviewer2", "caseworker", "supervisor", "hosp_a", "nobody"])
def test_only_an_appeal_reviewer_decides(world, who):
    appeal = world.appealed()
    with pytest.raises(PermissionDenied):
        review.decide_appeal(appeal, user=getattr(world, who), upheld=False, reason="撤销")
    assert Appeal.objects.get(pk=appeal.pk).state == AppealState.FILED


def test_a_reason_is_required(world):
    appeal = world.appealed()
    with pytest.raises(ServiceError) as exc:
        review.decide_appeal(appeal, user=world.appeal_reviewer, upheld=False, reason="")
    assert exc.value.errors[0]["field"] == "reason" and exc.value.errors[0]["code"] == "REQUIRED"
    assert Appeal.objects.get(pk=appeal.pk).state == AppealState.FILED


def test_an_appeal_is_decided_once(world):
    appeal = world.appealed()
    review.decide_appeal(appeal, user=world.appeal_reviewer, upheld=True, reason="维持")
    other = make_user("fuhe2", "appeal_reviewer")
    with pytest.raises(ServiceError) as exc:
        review.decide_appeal(appeal, user=other, upheld=False, reason="改判")
    assert exc.value.errors[0]["code"] == "ALREADY_DECIDED"
    assert AuditDeduction.objects.get().reversed_at is None


def test_reversal_never_reopens_the_settlement(world):
    settlement = world.settled_visit()
    item = world.confirmed(settlement=settlement)
    appeal = review.file_appeal(item, user=world.hosp_a, explanation="有医嘱")
    review.decide_appeal(appeal, user=world.appeal_reviewer, upheld=False, reason="撤销扣款")
    assert list(Settlement.objects.filter(visit=settlement.visit).values_list("status", "fund_pay_sumamt")) == [
        (SettlementStatus.SETTLED, FUND_PAID)]


def test_the_appeal_reviewer_group_is_what_counts(world):
    appeal = world.appealed()
    world.reviewer2.groups.add(Group.objects.get(name="appeal_reviewer"))
    review.decide_appeal(appeal, user=world.reviewer2, upheld=True, reason="维持")
    assert Appeal.objects.get(pk=appeal.pk).decided_by == world.reviewer2
