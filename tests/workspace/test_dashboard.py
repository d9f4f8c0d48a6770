"""The workspace dashboard by business date: it opens on the latest day with data, not an empty today, counts
the suspect items and rule hits of the day's settlements whenever the audit recorded them, and refuses a
malformed ?date= naming the field."""
from __future__ import annotations

import datetime as dt
from unittest import mock

from django.urls import reverse

from claims.models import Upload
from tests.factories import local_dt as local


def demo_like_day(world):
    """As the demo: a visit uploaded and settled on 2026-03-10, audited by a job that ran at another time."""
    settlement = world.settled_visit()
    Upload.objects.update(created_at=local(2026, 3, 10, 9))
    with mock.patch("django.utils.timezone.now", return_value=local(2026, 3, 11, 2, 30)):
        world.record(settlement, {"rule_code": "DUP-01", "amount_fen": 5000})
    return settlement


def test_the_dashboard_opens_on_the_latest_day_with_data(world, login):
    demo_like_day(world)
    r = login(world.caseworker).get(reverse("workspace:dashboard"))
    ctx = r.context
    assert r.status_code == 200 and ctx["day"] == dt.date(2026, 3, 10)
    assert (ctx["uploads"], ctx["settled_visits"], ctx["new_items"]) == (1, 1, 1)
    assert [(h["rule_code"], h["n"]) for h in ctx["hits"]] == [("DUP-01", 1)]
    html = r.content.decode()
    assert 'type="date"' in html and 'value="2026-03-10"' in html


def test_another_day_is_chosen_with_the_date_picker(world, login):
    demo_like_day(world)
    r = login(world.caseworker).get(reverse("workspace:dashboard"), {"date": "2026-03-11"})
    ctx = r.context
    assert ctx["day"] == dt.date(2026, 3, 11) and ctx["latest_day"] == dt.date(2026, 3, 10)
    assert (ctx["settled_visits"], ctx["new_items"], ctx["hits"]) == (0, 0, [])
    assert "?date=2026-03-10" in r.content.decode()  # back to the latest day with data


def test_an_empty_database_opens_on_today(world, login):
    r = login(world.caseworker).get(reverse("workspace:dashboard"))
    assert r.status_code == 200 and r.context["latest_day"] is None and r.context["new_items"] == 0


def test_a_malformed_date_is_400_naming_the_field(world, login):
    r = login(world.caseworker).get(reverse("workspace:dashboard"), {"date": "2026-02-30"})
    assert r.status_code == 400 and "date" in r.context["form"].errors
    assert "业务日" in r.content.decode() and "输入一个有效的日期" in r.content.decode()
