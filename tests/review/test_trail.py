"""The review trail: every step of an item in order with its actor, states, amount and reason; the trail
is append-only on PostgreSQL."""
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from review import services as review
from review.models import ReviewEvent
from review.selectors import visit_trail

D = Decimal


def test_the_trail_of_a_visit_tells_the_whole_story(world):
    settlement = world.settled_visit()
    item = world.item(settlement=settlement, amount_fen=5000)
    review.confirm_item(item, user=world.reviewer, amount=D("30.00"), reason="属实，核减30元")
    appeal = review.file_appeal(item, user=world.hosp_a, explanation="复查有医嘱")
    review.decide_appeal(appeal, user=world.appeal_reviewer, upheld=False, reason="医嘱齐全，撤销扣款")
    other = world.item(settlement=settlement, rule="BED-01", amount_fen=1000)
    review.dismiss_item(other, user=world.reviewer2, reason="床日正确")

    trail = list(visit_trail(world.caseworker, settlement.visit))
    assert [(e.item_id, e.action, e.from_state, e.to_state, e.amount, e.actor, e.reason) for e in trail] == [
        (item.pk, "opened", "", "pending", D("50.00"), None, trail[0].reason),
        (item.pk, "confirmed", "pending", "confirmed", D("30.00"), world.reviewer, "属实，核减30元"),
        (item.pk, "appeal_filed", "confirmed", "appealed", D("30.00"), world.hosp_a, "复查有医嘱"),
        (item.pk, "appeal_reversed", "appealed", "reversed", D("30.00"), world.appeal_reviewer, "医嘱齐全，撤销扣款"),
        (other.pk, "opened", "", "pending", D("10.00"), None, trail[4].reason),
        (other.pk, "dismissed", "pending", "dismissed", None, world.reviewer2, "床日正确"),
    ]
    assert all(e.visit_id == settlement.visit_id for e in trail)
    assert trail[2].appeal == appeal and trail[3].appeal == appeal
    # the institution sees its own item's trail, but not the dismissed item's
    assert [e.action for e in visit_trail(world.hosp_a, settlement.visit)] == [
        "opened", "confirmed", "appeal_filed", "appeal_reversed"]


def test_the_trail_is_append_only_on_postgres(world):
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    item = world.confirmed(amount="30.00")
    event = ReviewEvent.objects.filter(item=item).last()
    with pytest.raises(DatabaseError, match="append_only"), transaction.atomic():
        ReviewEvent.objects.filter(pk=event.pk).update(reason="改写")
    with pytest.raises(DatabaseError, match="append_only"), transaction.atomic():
        ReviewEvent.objects.filter(pk=event.pk).delete()
    event.refresh_from_db()
    assert event.reason == "同日重复收费属实" and ReviewEvent.objects.filter(item=item).count() == 2
