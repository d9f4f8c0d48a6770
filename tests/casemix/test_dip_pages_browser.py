"""The DIP pages in a real browser (Playwright + Debian's chromium) on the worked example with the demo city's
institutions (示范市第一人民医院 level 3, 示范市中医院 level 2): the bureau opens H1's year-end clearing report,
follows its DIP line to H1's cases, then the region's year; H1's clerk sees its own cases. Screenshots:
docs/screenshots/dip-clearing.png, dip-cases.png, dip-year.png, dip-cases-institution.png."""
import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from casemix.services import run_dip_year
from fund_budget.clearing import clear_year
from fund_budget.models import ClearingReport, IndexStatus, InstitutionIndex, PaymentMode, Rating
from tests.api.base import build_world, token_client
from tests.factories import D
from tests.workspace.test_browser import SCREENSHOTS, browser  # noqa: F401

from .worked_world import build_worked_example, settle_year

pytestmark = pytest.mark.django_db(transaction=True)


def _page(browser, live_server, user):  # noqa: F811
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    return context, context.new_page()


def test_walk_from_the_clearing_to_the_cases_and_the_year(live_server, browser):  # noqa: F811
    w = build_world()
    build_worked_example(w, token_client(w.token_a), token_client(w.token_b))
    settle_year()
    InstitutionIndex.objects.create(year=2026, institution=w.inst_a, agreed_amount=D("40000"), rating=Rating.AA,
                                    assessment_score=D("100"), status=IndexStatus.AGREED)
    InstitutionIndex.objects.create(year=2026, institution=w.inst_b, payment_mode=PaymentMode.ITEM_BY_ITEM,
                                    assessment_score=D("100"))
    run_dip_year("410800", 2026, final=True)
    clear_year(2026)
    report = ClearingReport.objects.get(institution=w.inst_a)
    clerk = User.objects.create_user("dipclerk")
    clerk.groups.add(Group.objects.get(name="fund_bureau"))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url

    context, page = _page(browser, live_server, clerk)
    page.goto(f"{base}/fund/clearings/{report.pk}/")
    dip_row = page.locator("table.formula tr", has_text="按病种分值付费清算 D")
    assert "-9,000.00" in dip_row.inner_text()
    assert "-4,550.00" in page.locator("table.formula tr", has_text="清算额").last.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "dip-clearing.png"), full_page=True)

    dip_row.locator("a").click()
    page.wait_for_url(f"{base}/dip/410800/2026/{w.inst_a.fixmedins_code}/")
    rows = page.locator("tbody tr")
    assert rows.count() == 3
    assert "低倍率病例" in rows.nth(1).inner_text() and "高倍率病例" in rows.nth(2).inner_text()
    page.screenshot(path=str(SCREENSHOTS / "dip-cases.png"), full_page=True)

    page.click("text=按病种分值付费(DIP)年度结果")
    page.wait_for_url(f"{base}/dip/410800/2026/")
    text = page.locator("main, body").first.inner_text()
    assert "10.000000" in text and "示范市中医院" in text and "900.00" in text
    page.screenshot(path=str(SCREENSHOTS / "dip-year.png"), full_page=True)
    context.close()

    context, page = _page(browser, live_server, w.user_b)
    page.goto(f"{base}/dip/410800/2026/{w.inst_b.fixmedins_code}/")
    text = page.locator("body").inner_text()
    assert "未入组" in text and "无匹配病种" in text and "2型糖尿病·保守治疗" in text
    page.screenshot(path=str(SCREENSHOTS / "dip-cases-institution.png"), full_page=True)
    context.close()
