"""file_appeal: the item's institution appeals a confirmed item once, with an explanation, within
APPEAL_WINDOW_DAYS of the confirmation."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.test import override_settings
from django.utils import timezone

from claims.errors import ServiceError
from core.ledger import money_writes
from review import services as review
from review.models import Appeal, AppealState, ReviewAction, ReviewEvent, SuspectItem, SuspectState


def _confirmed_days_ago(item, days: float):
    with money_writes():  # confirmed earlier: fixture setup
        SuspectItem.objects.filter(pk=item.pk).update(confirmed_at=timezone.now() - dt.timedelta(days=days))
    item.refresh_from_db()
    return item


def test_filing_an_appeal(world):
    item = world.confirmed(amount="30.00")
    appeal = review.file_appeal(item, user=world.hosp_a, explanation="  第二次血常规为术后复查，有医嘱  ")
    appeal.refresh_from_db()
    item.refresh_from_db()
    assert appeal.item == item and appeal.institution == world.inst_a and appeal.state == AppealState.FILED
    assert appeal.explanation == "第二次血常规为术后复查，有医嘱" and appeal.filed_by == world.hosp_a
    assert appeal.decided_at is None and item.state == SuspectState.APPEALED
    event = ReviewEvent.objects.filter(item=item).last()
    assert (event.action, event.from_state, event.to_state, event.actor, event.appeal) == (
        ReviewAction.APPEAL_FILED, "confirmed", "appealed", world.hosp_a, appeal)
    assert str(event.amount) == "30.00"


def test_an_explanation_is_required(world):
    item = world.confirmed()
    with pytest.raises(ServiceError) as exc:
        review.file_appeal(item, user=world.hosp_a, explanation="")
    assert exc.value.errors[0]["field"] == "explanation" and exc.value.errors[0]["code"] == "REQUIRED"
    assert not Appeal.objects.exists()


def test_only_confirmed_items_may_be_appealed(world):
    pending = world.item()
    with pytest.raises(ServiceError) as exc:
        review.file_appeal(pending, user=world.hosp_a, explanation="不认可")
    assert exc.value.errors[0]["field"] == "state" and exc.value.errors[0]["code"] == "NOT_CONFIRMED"
    dismissed = review.dismiss_item(world.item(), user=world.reviewer, reason="无问题")
    with pytest.raises(ServiceError) as exc:
        review.file_appeal(dismissed, user=world.hosp_a, explanation="不认可")
    assert exc.value.errors[0]["code"] == "NOT_CONFIRMED"
    assert not Appeal.objects.exists()


@pytest.mark.parametrize("who", ["hosp_b", "reviewer", "caseworker", "supervisor", "nobody"])
def test_only_the_items_institution_may_appeal(world, who):
    item = world.confirmed()
    with pytest.raises(PermissionDenied):
        review.file_appeal(item, user=getattr(world, who), explanation="不认可")
    assert not Appeal.objects.exists()


def test_the_window_is_fifteen_days_by_default(world):
    item = _confirmed_days_ago(world.confirmed(), 14.9)
    assert review.file_appeal(item, user=world.hosp_a, explanation="有医嘱").state == AppealState.FILED
    late = _confirmed_days_ago(world.confirmed(), 15.1)
    with pytest.raises(ServiceError) as exc:
        review.file_appeal(late, user=world.hosp_a, explanation="有医嘱")
    assert exc.value.errors[0]["code"] == "APPEAL_WINDOW_CLOSED" and exc.value.errors[0]["field"] == "confirmed_at"
    assert "15" in exc.value.errors[0]["message"]
    late.refresh_from_db()
    assert late.state == SuspectState.CONFIRMED and Appeal.objects.count() == 1


@override_settings(APPEAL_WINDOW_DAYS=30)
def test_the_window_is_a_setting(world):
    item = _confirmed_days_ago(world.confirmed(), 20)
    assert review.appeal_deadline(item) == item.confirmed_at + dt.timedelta(days=30)
    assert review.file_appeal(item, user=world.hosp_a, explanation="有医嘱").state == AppealState.FILED


def test_an_item_is_appealed_once(world):
    appeal = world.appealed()
    review.decide_appeal(appeal, user=world.appeal_reviewer, upheld=True, reason="医嘱不支持复查")
    item = SuspectItem.objects.get(pk=appeal.item_id)
    assert item.state == SuspectState.CONFIRMED
    with pytest.raises(ServiceError) as exc:
        review.file_appeal(item, user=world.hosp_a, explanation="再次申诉")
    assert exc.value.errors[0]["code"] == "ALREADY_APPEALED" and Appeal.objects.count() == 1
