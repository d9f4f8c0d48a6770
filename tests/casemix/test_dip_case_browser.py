"""The DIP case page in a real browser (Playwright + Debian's chromium) on the worked example: c1's list carries
a respiratory failure with no oxygen or ventilation on its lines, the run's coding audit finds it (CODE-MCC);
the bureau opens H1's cases, follows c1 to its page and sees the list, the group, the points and why, and the
finding with its reason. Screenshot: docs/screenshots/dip-case.png."""
import datetime as dt

import pytest
from django.contrib.auth.models import Group, User

from casemix.coding import run_dip_year_audited
from policy_rules.models import AuditRuleDefinition
from tests.api.base import build_world, token_client
from tests.workspace.test_browser import SCREENSHOTS, browser  # noqa: F401

from .helpers import good_list
from .test_dip_pages_browser import _page
from .worked_world import build_worked_example

pytestmark = pytest.mark.django_db(transaction=True)


def _clerk():
    clerk = User.objects.create_user("dipcaseclerk")
    clerk.groups.add(Group.objects.get(name="fund_bureau"))
    return clerk


def test_the_case_page_shows_the_list_the_group_and_the_finding(live_server, browser):  # noqa: F811
    w = build_world()
    h1 = token_client(w.token_a)
    settlements = build_worked_example(w, h1, token_client(w.token_b))
    AuditRuleDefinition.objects.create(code="CODE-MCC", rule_type="coding_cc", name="高套编码：严重并发症/合并症无支持性收费",
                                       params={"support": {"J96": ["120800001", "310603"]}}, severity="suspect",
                                       effective_from=dt.date(2026, 1, 1))
    day = (settlements["c1"].visit.begntime + dt.timedelta(days=1)).date().isoformat()
    body = good_list(diseinfo=[
        {"diag_code": "K35.800", "diag_name": "急性阑尾炎", "maindiag_flag": "1", "adm_cond_type": "1"},
        {"diag_code": "J96.000", "diag_name": "急性呼吸衰竭", "maindiag_flag": "0", "adm_cond_type": "3"}],
        oprninfo=[{"oprn_oprt_code": "47.0100", "oprn_oprt_name": "腹腔镜下阑尾切除术", "main_oprn_flag": "1",
                   "oprn_oprt_date": day, "anst_way": "1"}])
    assert h1.post("/api/v1/settlements/c1/setl-list/", body, format="json").status_code == 201
    run_dip_year_audited("410800", 2026, final=True)

    context, page = _page(browser, live_server, _clerk())
    cases = f"{live_server.url}/dip/410800/2026/{w.inst_a.fixmedins_code}/"
    page.goto(cases)
    page.click("text=c1")
    page.wait_for_url(f"{cases}c1/")
    text = page.locator("main").inner_text() if page.locator("main").count() else page.inner_text("body")
    for shown in ("急性呼吸衰竭", "J96.000", "47.0100", "A 急性阑尾炎·阑尾切除术", "正常病例", "病种分值 1000 × 系数 1",
                  "CODE-MCC", "属严重并发症/合并症目录(J96)", "待审核", "7,000.00"):
        assert shown in text, shown
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "dip-case.png"), full_page=True)
    context.close()
