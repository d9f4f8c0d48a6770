"""confirm_items / dismiss_items: the queue's bulk verbs apply the single-item rules to each item in one
transaction; an item refused is skipped with its reason, and the others are decided."""
from decimal import Decimal

import pytest

from claims.errors import ServiceError
from fund_budget.models import AuditDeduction
from fund_budget.services import record_deduction
from review import services as review
from review.models import ReviewAction, ReviewEvent, SuspectState


def test_dismiss_items_dismisses_each_with_the_reason_and_a_trail(world):
    items = [world.item(), world.item(), world.item()]
    result = review.dismiss_items(items, user=world.reviewer, reason="复查有医嘱")
    assert [i.pk for i in result.done] == sorted(i.pk for i in items) and result.skipped == []
    for item in items:
        item.refresh_from_db()
        assert (item.state, item.dismissed_by, item.review_reason) == (
            SuspectState.DISMISSED, world.reviewer, "复查有医嘱")
        assert ReviewEvent.objects.filter(item=item, action=ReviewAction.DISMISSED, actor=world.reviewer).count() == 1
    assert not AuditDeduction.objects.exists()


def test_confirm_items_deducts_each_items_whole_amount_at_stake(world):
    a, b = world.item(amount_fen=5000), world.item(amount_fen=1234)
    result = review.confirm_items([a, b], user=world.reviewer, reason="同日重复收费属实")
    assert len(result.done) == 2 and result.skipped == []
    for item, amount in ((a, Decimal("50.00")), (b, Decimal("12.34"))):
        item.refresh_from_db()
        assert item.state == SuspectState.CONFIRMED and item.confirmed_amount == amount
        assert AuditDeduction.objects.get(pk=item.deduction_id).amount == amount


def test_mixed_states_skip_the_decided_items_and_decide_the_others(world):
    pending = world.item()
    confirmed = world.confirmed()
    dismissed = world.item()
    review.dismiss_item(dismissed, user=world.reviewer2, reason="无问题")
    appealed = world.appealed()
    events_before = ReviewEvent.objects.count()

    result = review.dismiss_items([pending, confirmed, dismissed, appealed.item], user=world.reviewer,
                                  reason="批量排除")

    assert [i.pk for i in result.done] == [pending.pk]
    skipped = {item.pk: (code, message) for item, code, message in result.skipped}
    assert set(skipped) == {confirmed.pk, dismissed.pk, appealed.item_id}
    assert {code for code, _m in skipped.values()} == {"NOT_PENDING"}
    assert "已确认扣款" in skipped[confirmed.pk][1] and "已排除" in skipped[dismissed.pk][1]
    assert ReviewEvent.objects.count() == events_before + 1  # one step written: the pending item's
    confirmed.refresh_from_db()
    dismissed.refresh_from_db()
    assert confirmed.state == SuspectState.CONFIRMED and dismissed.dismissed_by == world.reviewer2


def test_an_item_the_fund_refuses_is_rolled_back_alone(world):
    """The fund refuses one deduction (its source already holds a different one) after the item's row is
    locked: that item stays as it was, the other is confirmed."""
    good, bad = world.item(), world.item()
    record_deduction(institution=world.inst_a, amount=Decimal("1.00"), reason="earlier", source_type="audit.suspect",
                     source_id=str(bad.pk))
    result = review.confirm_items([bad, good], user=world.reviewer, reason="属实")
    assert [i.pk for i in result.done] == [good.pk]
    assert [(i.pk, code) for i, code, _m in result.skipped] == [(bad.pk, "DEDUCTION_REFUSED")]
    bad.refresh_from_db()
    assert bad.state == SuspectState.PENDING and bad.deduction_id is None and bad.confirmed_amount is None
    assert not ReviewEvent.objects.filter(item=bad, action=ReviewAction.CONFIRMED).exists()
    assert AuditDeduction.objects.filter(source_id=str(good.pk)).get().amount == good.amount_at_stake


@pytest.mark.parametrize("who", ["caseworker", "appeal_reviewer", "supervisor", "hosp_a", "nobody"])
def test_only_reviewers_decide_in_bulk_every_item_is_skipped_as_not_permitted(world, who):
    items = [world.item(), world.item()]
    for verb in (review.dismiss_items, review.confirm_items):
        result = verb(items, user=getattr(world, who), reason="批量")
        assert result.done == []
        assert [(i.pk, code) for i, code, _m in result.skipped] == [(i.pk, "NOT_PERMITTED") for i in items]
    for item in items:
        item.refresh_from_db()
        assert item.state == SuspectState.PENDING
    assert ReviewEvent.objects.exclude(action=ReviewAction.OPENED).count() == 0


def test_a_reason_is_required_and_nothing_is_written_without_one(world):
    items = [world.item(), world.item()]
    with pytest.raises(ServiceError) as exc:
        review.dismiss_items(items, user=world.reviewer, reason="  ")
    assert exc.value.errors[0]["field"] == "reason" and exc.value.errors[0]["code"] == "REQUIRED"
    for item in items:
        item.refresh_from_db()
        assert item.state == SuspectState.PENDING


def test_an_item_given_twice_is_decided_once(world):
    item = world.item()
    result = review.dismiss_items([item, item], user=world.reviewer, reason="重复")
    assert len(result.done) == 1 and result.skipped == []

