"""The list-deadline queue and the DIP estimate on a statement in a real browser (Playwright + Debian's chromium):
the bureau opens /dip/lists/ on 20 March 2026 (the deadline world: the most overdue first) and H1's May statement
of the worked example (its running points and the estimated point value). Screenshots:
docs/screenshots/dip-list-deadline.png, docs/screenshots/dip-statement-estimate.png."""
import datetime as dt
from unittest import mock

import pytest
from django.contrib.auth.models import Group, User

from fund_budget.models import MonthlyStatement
from tests.api.base import build_world, token_client
from tests.workspace.test_browser import SCREENSHOTS, browser  # noqa: F401

from .deadline_world import TODAY, build_deadline_world
from .test_dip_pages_browser import _page
from .worked_world import build_worked_example, settle_year

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_queue_and_the_statement_estimate(live_server, browser):  # noqa: F811
    w = build_world()
    build_worked_example(w, token_client(w.token_a), token_client(w.token_b))
    settle_year()
    build_deadline_world(w, token_client(w.token_a))
    clerk = User.objects.create_user("dipclerk")
    clerk.groups.add(Group.objects.get(name="fund_bureau"))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context, page = _page(browser, live_server, clerk)
    with mock.patch("casemix.deadlines.timezone.localdate", return_value=TODAY):
        page.goto(f"{live_server.url}/dip/lists/")
        rows = page.locator("table tbody tr")
        assert rows.count() == 4
        assert "m1" in rows.nth(0).inner_text() and "逾期 3 天" in rows.nth(0).inner_text()
        assert "m2" in rows.nth(3).inner_text() and "剩余 5 天" in rows.nth(3).inner_text()
        assert page.locator("#count-overdue").inner_text() == "1"
        page.screenshot(path=str(SCREENSHOTS / "dip-list-deadline.png"), full_page=True)
    may = MonthlyStatement.objects.current().get(month=dt.date(2026, 5, 1), institution=w.inst_a)
    page.goto(f"{live_server.url}/fund/statements/{may.pk}/")
    section = page.locator("#dip-estimate")
    assert "2,900.0000" in section.inner_text() and "7.543103" in section.inner_text()
    section.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "dip-statement-estimate.png"), full_page=True)
    context.close()
