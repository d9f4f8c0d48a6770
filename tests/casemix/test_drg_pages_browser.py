"""The DRG year in a real browser (Playwright + Debian's chromium) on docs/drg.md's worked example at the demo
city's 示范市第一人民医院 (level 3, paid item by item): the bureau opens its year-end clearing report, follows the
DRG line (点数法) to the cases with their DRG codes, names and paths, then the region's year. Screenshots:
docs/screenshots/drg-clearing.png, drg-cases.png, drg-year.png."""
import pytest
from django.contrib.auth.models import Group, User

from casemix.services import run_dip_year
from fund_budget.clearing import clear_year
from fund_budget.models import ClearingReport, InstitutionIndex, PaymentMode
from tests.api.base import build_world, token_client
from tests.factories import D
from tests.workspace.test_browser import SCREENSHOTS, browser  # noqa: F401

from .drg_world import POINTS_PARAMS, build_drg_example
from .test_dip_pages_browser import _page
from .worked_world import settle_year

pytestmark = pytest.mark.django_db(transaction=True)


def test_walk_from_the_drg_line_to_the_cases_and_the_year(live_server, browser):  # noqa: F811
    w = build_world()
    build_drg_example(w, token_client(w.token_a), POINTS_PARAMS)
    settle_year()
    InstitutionIndex.objects.create(year=2026, institution=w.inst_a, payment_mode=PaymentMode.ITEM_BY_ITEM,
                                    assessment_score=D("100"))
    run_dip_year("410800", 2026, final=True)
    clear_year(2026)
    report = ClearingReport.objects.get(institution=w.inst_a)
    clerk = User.objects.create_user("drgclerk")
    clerk.groups.add(Group.objects.get(name="fund_bureau"))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url

    context, page = _page(browser, live_server, clerk)
    page.goto(f"{base}/fund/clearings/{report.pk}/")
    drg_row = page.locator("table.formula tr", has_text="DRG付费清算(点数法) D")
    assert "41,000.00" in drg_row.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "drg-clearing.png"), full_page=True)

    drg_row.locator("a").click()
    page.wait_for_url(f"{base}/dip/410800/2026/{w.inst_a.fixmedins_code}/")
    rows = page.locator("tbody tr")
    assert rows.count() == 6
    assert "GB11 胃切除术，伴严重并发症或合并症" in rows.nth(0).inner_text()
    assert "MDC G · ADRG GS1 · 并发症 CC → GS13" in rows.nth(3).inner_text()
    assert "NO_MDC" in rows.nth(5).inner_text()
    page.screenshot(path=str(SCREENSHOTS / "drg-cases.png"), full_page=True)

    page.click("text=DRG付费年度结果")
    page.wait_for_url(f"{base}/dip/410800/2026/")
    text = page.locator("main, body").first.inner_text()
    assert "DRG点数法" in text and "162.068966" in text and "41,000.00" in text
    page.screenshot(path=str(SCREENSHOTS / "drg-year.png"), full_page=True)
    context.close()
