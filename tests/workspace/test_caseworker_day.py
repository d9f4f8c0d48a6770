"""A caseworker's day end to end in a real browser (Playwright + Debian's chromium), on the demo city
(`make demo`'s own commands, a smaller city): search a person, open a visit, read why a line was not paid;
the review queue; the institution's appeal; the second reviewer; the month's statement.

Each step saves a screenshot in docs/screenshots/ (day-*.png), referenced from the README."""
from __future__ import annotations

import datetime as dt
import io
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import models
from django.utils import timezone

from claims.models import SettlementLine
from claims.permissions import APPEAL_REVIEWER, CASEWORKER, REVIEWER
from fund_budget.models import AuditDeduction, MonthlyStatement
from fund_budget.monthly import settle_month
from insurance.models import InstitutionUser
from review.models import Appeal, AppealState, SuspectItem, SuspectState
from tests.factories import DEMO_PACK_PATH

from .test_browser import SCREENSHOTS, browser  # noqa: F401 - the chromium fixture

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
    call_command("seed_demo_fund", "--date", DAY.isoformat(), stdout=out)
    call_command("run_daily", "--date", DAY.isoformat(), stdout=out)
    users = {}
    for username, role in (("caseworker", CASEWORKER), ("reviewer", REVIEWER), ("reviewer2", APPEAL_REVIEWER)):
        user = get_user_model().objects.create_user(username, password=PASSWORD)
        user.groups.add(Group.objects.get(name=role))
        users[username] = user
    # the institution with the most open suspect items, and a login for it
    busiest = (SuspectItem.objects.filter(state=SuspectState.PENDING).values("institution")
               .order_by().annotate(n=models.Count("id")).order_by("-n", "institution").first())
    hospital = get_user_model().objects.create_user("hospital", password=PASSWORD)
    InstitutionUser.objects.create(user=hospital, institution_id=busiest["institution"])
    users["hospital"] = hospital
    return users


def _pdf(tmp_path) -> Path:
    """A small real PDF (a one-page document with the words 住院病历 in its title)."""
    path = tmp_path / "住院病历.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\n"
                     b"trailer<</Root 1 0 R>>\n%%EOF\n")
    return path


def _login(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/ws/.*"))


def _shot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"day-{name}.png"), full_page=True)


def test_a_caseworkers_day(demo_city, live_server, browser, tmp_path):  # noqa: F811 - the fixture
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

    # 3. the reviewer opens the institution's queue, dismisses three items in bulk and confirms one
    hospital = InstitutionUser.objects.get(user=demo_city["hospital"]).institution
    pending = list(SuspectItem.objects.filter(institution=hospital, state=SuspectState.PENDING).order_by("pk"))
    assert len(pending) >= 4, "the busiest institution has four open items"
    dismissed, item = pending[:3], pending[3]
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    _login(page, base, "reviewer")
    page.goto(f"{base}/ws/queue/?institution={hospital.pk}&state=pending")
    for it in dismissed:
        page.check(f"input.select-item[value='{it.pk}']")
    assert page.inner_text("#selected-count").startswith("3")
    page.fill("#bulk-reason", "有医嘱，收费合理，批量排除")
    _shot(page, "3-queue")
    page.click("button[name=action][value=dismiss]")
    page.wait_for_selector("ul.messages")
    assert "已排除 3 条疑点。" in page.inner_text("ul.messages")
    assert all(SuspectItem.objects.get(pk=it.pk).state == SuspectState.DISMISSED for it in dismissed)
    page.goto(f"{base}/ws/items/{item.pk}/")
    amount = min(item.amount_at_stake, Decimal("50.00"))
    page.fill("#id_amount", f"{amount:.2f}")
    page.fill("form[action*='/confirm/'] textarea[name=reason]", "与病历不符，确认扣款")
    page.click("button[name=confirm]")
    # a verb leads on to the queue's next open item; the confirmed one shows its deduction
    page.wait_for_url(lambda url: f"/ws/items/{item.pk}/" not in url)
    page.goto(f"{base}/ws/items/{item.pk}/")
    page.wait_for_selector("#deduction")
    _shot(page, "4-confirmed")
    context.close()
    item.refresh_from_db()
    assert item.state == SuspectState.CONFIRMED and item.deduction.amount == amount

    # 4. the institution's user appeals in the portal, with a PDF attached
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "hospital")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/portal/")
    page.goto(f"{base}/portal/items/{item.pk}/")
    page.fill("textarea[name=explanation]", "该项目有医嘱，附住院病历")
    page.set_input_files("input[name=attachments]", str(_pdf(tmp_path)))
    page.click("button[name=appeal]")
    page.wait_for_selector("text=申诉已提交。")
    _shot(page, "5-appeal")
    context.close()
    appeal = Appeal.objects.get(item=item)
    assert appeal.attachments.count() == 1

    # 5. a second reviewer decides: the deduction stands
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    _login(page, base, "reviewer2")
    page.goto(f"{base}/ws/appeals/{appeal.pk}/")
    assert "住院病历.pdf" in page.inner_text("body")
    page.check("input[name=decision][value=upheld]")
    page.fill("textarea[name=reason]", "医嘱与收费不符，维持扣款")
    page.click("text=提交复核")
    page.wait_for_selector("text=申诉已复核。")
    _shot(page, "6-decided")
    context.close()
    appeal.refresh_from_db()
    assert appeal.state == AppealState.UPHELD

    # 6. the month's statements are issued; the deduction is on the institution's statement,
    #    downloaded as XLSX and PDF
    month = timezone.localdate().replace(day=1)
    next_month = (month + dt.timedelta(days=32)).replace(day=1)
    settle_month(month, cutoff=timezone.make_aware(dt.datetime.combine(next_month, dt.time(0, 0, 1))))
    statement = MonthlyStatement.objects.get(month=month, institution=hospital)
    assert statement.deductions == AuditDeduction.objects.get(pk=item.deduction.pk).amount
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    _login(page, base, "caseworker")
    page.goto(f"{base}/fund/statements/{statement.pk}/")
    assert f"{amount:,.2f}" in page.inner_text("table.formula")
    _shot(page, "7-statement")
    # the page's two links, fetched with the caseworker's session as the browser would download them
    for suffix, magic, disposition in ((".xlsx", b"PK\x03\x04", "attachment"), (".pdf", b"%PDF", "inline")):
        href = page.get_attribute(f"a[href='/fund/statements/{statement.pk}{suffix}']", "href")
        response = context.request.get(f"{base}{href}")
        assert response.status == 200 and response.body()[:4] == magic, suffix
        assert response.headers["content-disposition"].startswith(disposition), suffix
    context.close()
