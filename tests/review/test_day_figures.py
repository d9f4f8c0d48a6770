"""The dashboard's review figures count a business day (review.selectors.review_day_figures): the suspect items
and rule hits of the day's settlements, whenever the audit recorded them (the night job after the day, or a
demo's job months later), and a hit before any settlement on the day it was found."""
from __future__ import annotations

import datetime as dt
from unittest import mock

from django.utils import timezone

from claims.models import Upload
from claims.selectors import day_figures, latest_business_day
from core.periods import day_bounds
from review.models import AuditHit, HitStage
from review.selectors import business_day_hits, review_day_figures
from tests.factories import local_dt as local

BUSINESS_DAY = dt.date(2026, 3, 10)
NEXT_NIGHT = local(2026, 3, 11, 2, 30)  # the daily job of the 10th runs after midnight


def recorded_at(moment, world, settlement, *hits, stage=HitStage.SETTLEMENT):
    """Record the hits with the audit's clock at moment (the night job's time, not the settlement's)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        return world.record(settlement, *hits, stage=stage)


def test_items_and_hits_count_on_their_settlements_day_not_the_clocks(world):
    settlement = world.settled_visit()  # settled 2026-03-10 10:00
    recorded_at(NEXT_NIGHT, world, settlement, {"rule_code": "DUP-01", "amount_fen": 5000},
                {"rule_code": "BED-01", "amount_fen": 2000, "feedetl_sns": ("4",)})
    assert {h.created_at for h in AuditHit.objects.all()} == {NEXT_NIGHT}

    figures = review_day_figures(world.supervisor, *day_bounds(BUSINESS_DAY))
    assert figures["new_items"] == 2 and figures["new_items_pending"] == 2
    assert figures["new_items_amount"] == 70
    assert sorted((h["rule_code"], h["n"], h["visits"]) for h in figures["hits"]) == [
        ("BED-01", 1, 1), ("DUP-01", 1, 1)]
    assert day_figures(*day_bounds(BUSINESS_DAY))["settled_visits"] == 1  # the same day as the settlements

    # the clock's day of the recording shows none of them
    night = review_day_figures(world.supervisor, *day_bounds(NEXT_NIGHT.date()))
    assert night["new_items"] == 0 and night["hits"] == []
    # the whole queue is the queue whatever the day
    assert night["queue_pending"] == figures["queue_pending"] == 2


def test_a_hit_before_settlement_counts_on_the_day_it_was_found(world):
    settlement = world.settled_visit()
    recorded_at(local(2026, 3, 9, 15), world, settlement, {"rule_code": "PRICE-W", "amount_fen": 300},
                stage=HitStage.UPLOAD)
    hit = AuditHit.objects.get()
    assert hit.settlement_id is None
    assert list(business_day_hits(*day_bounds(dt.date(2026, 3, 9)))) == [hit]
    assert not business_day_hits(*day_bounds(BUSINESS_DAY)).exists()


def test_an_institution_user_counts_only_its_own_items(world):
    recorded_at(NEXT_NIGHT, world, world.settled_visit(), {"rule_code": "DUP-01", "amount_fen": 5000})
    recorded_at(NEXT_NIGHT, world, world.settled_visit(institution=world.inst_b),
                {"rule_code": "DUP-01", "amount_fen": 5000})
    bounds = day_bounds(BUSINESS_DAY)
    assert review_day_figures(world.supervisor, *bounds)["new_items"] == 2
    assert review_day_figures(world.hosp_a, *bounds)["new_items"] == 1


def test_the_latest_business_day_is_the_last_with_settlements_or_uploads(world):
    assert latest_business_day() is None
    world.settled_visit()  # settled 2026-03-10, its lines uploaded now
    assert latest_business_day() == timezone.localdate()
    Upload.objects.update(created_at=local(2026, 3, 10, 9))  # uploaded on the business day, as the demo's
    assert latest_business_day() == BUSINESS_DAY
