"""Reopening a month in a real browser (Playwright + Debian's chromium, as tests/workspace/test_browser.py):
one supervisor requests it from a statement's page with a reason, another approves it from the list's open
requests, the month is settled again, and the superseded statement shows its banner. Screenshots go to
docs/screenshots/reopen-*.png."""
from __future__ import annotations

import datetime as dt
import os

from django.urls import reverse

from fund_budget.models import MonthlyStatement, SupersededStatement
from tests.workspace.test_browser import SCREENSHOTS, browser  # noqa: F401 - the chromium fixture

from .conftest import settle, statement_day_cutoff
from .reopen_world import PASSWORD, REASON, reopen, statements  # noqa: F401 - the fixtures

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _page(browser, base, user, path):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base}/accounts/login/?next={path}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{path}")
    return context, page


def test_two_supervisors_reopen_a_month(transactional_db, live_server, reopen, browser,  # noqa: F811
                                        person, policy):
    base = live_server.url
    reopen.late_settlement(person, policy, hifp="1000.00")
    st_a = reopen.s.st_a
    detail = reverse("fund_budget:statement", args=[st_a.pk])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    chief, page = _page(browser, base, reopen.chief, detail)
    page.click("#reopening-form summary")
    page.fill("textarea[name=reason]", REASON)
    page.screenshot(path=str(SCREENSHOTS / "reopen-request.png"), full_page=True)
    page.click("#reopening-form button[type=submit]")
    page.wait_for_selector("text=须由另一位主管审批")
    assert REASON in page.inner_text("#reopening-request")
    assert page.locator("#reopening-request button").count() == 0  # no approval for the requester
    chief.close()

    deputy, page = _page(browser, base, reopen.deputy, reverse("fund_budget:statements"))
    assert REASON in page.inner_text("#open-reopenings")
    page.screenshot(path=str(SCREENSHOTS / "reopen-pending.png"), full_page=True)
    page.click("#open-reopenings button:has-text('批准重开')")
    page.wait_for_selector("text=已批准重开 2026-03")
    assert SupersededStatement.objects.filter(approval__approved_by=reopen.deputy).count() == 2

    settle("2026-03", cutoff=statement_day_cutoff("2026-03") + dt.timedelta(hours=2))
    new_a = MonthlyStatement.objects.current().get(institution=reopen.s.a)
    page.goto(f"{base}{detail}")
    banner = page.inner_text("#superseded-banner")
    assert "本结算单已作废" in banner and "deputy" in banner and REASON in banner
    page.screenshot(path=str(SCREENSHOTS / "reopen-superseded.png"), full_page=True)
    page.click("#superseded-banner a")
    page.wait_for_url(f"{base}{reverse('fund_budget:statement', args=[new_a.pk])}")
    assert "12,200.00" in page.inner_text("main")  # the corrected fund amount: 11,200.00 + 1,000.00
    deputy.close()
