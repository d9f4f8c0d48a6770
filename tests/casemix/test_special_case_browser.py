"""The special-case review in a real browser (Playwright + Debian's chromium) on the worked example: H1's clerk asks
that c3 (high-cost, 25,000) be paid by items in the portal; caseworker 1 proposes approval and is refused the
decision (four eyes); caseworker 2 approves; the final run shows c3 as a special case. Screenshots:
docs/screenshots/dip-special-ask.png, dip-special-queue.png, dip-special-four-eyes.png, dip-special-approved.png,
dip-special-cases.png."""
import pytest
from django.contrib.auth.models import User

from casemix.services import run_dip_year
from claims.roles import ensure_roles
from tests.api.base import build_world, token_client
from tests.workspace.test_browser import SCREENSHOTS, browser  # noqa: F401

from .test_dip_pages_browser import _page
from .worked_world import build_worked_example

pytestmark = pytest.mark.django_db(transaction=True)


def test_ask_in_the_portal_propose_and_approve_by_another(live_server, browser):  # noqa: F811
    w = build_world()
    build_worked_example(w, token_client(w.token_a), token_client(w.token_b))
    run_dip_year("410800", 2026, reason="trial")
    caseworker = ensure_roles()["caseworker"]
    caseworkers = [User.objects.create_user(name) for name in ("jingban1", "jingban2")]
    for user in caseworkers:
        user.groups.add(caseworker)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url

    context, page = _page(browser, live_server, w.user_a)
    page.goto(f"{base}/dip/special-cases/")
    page.select_option("#id_settlement", label="c3 · 病种 A · 费用 25,000.00 · 1,500.0000 点")
    page.fill("#id_reason", "多发伤合并感染，住院 40 天，费用主要为抗感染与输血")
    page.fill("#id_evidence", "病程记录第 12–30 页；ICU 记录")
    page.screenshot(path=str(SCREENSHOTS / "dip-special-ask.png"), full_page=True)
    page.click("#special-ask button[type=submit]")
    page.wait_for_url(f"{base}/dip/special-cases/*/")
    assert "待初审" in page.locator("h1").inner_text()
    detail = page.url
    context.close()

    context, page = _page(browser, live_server, caseworkers[0])
    page.goto(f"{base}/dip/special-cases/")
    assert "示范市第一人民医院" in page.locator("#special-requests").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "dip-special-queue.png"), full_page=True)
    page.click("#special-requests a")
    page.check("input[name=approve][value='1']")
    page.fill("#id_reason", "病历支持：并发症导致费用超过参考费用 2.5 倍")
    page.click("#special-step button[type=submit]")
    page.wait_for_url(detail)
    assert "待复核" in page.locator("h1").inner_text()
    assert "四眼原则" in page.locator("body").inner_text() and page.locator("#special-step").count() == 0
    page.screenshot(path=str(SCREENSHOTS / "dip-special-four-eyes.png"), full_page=True)
    context.close()

    context, page = _page(browser, live_server, caseworkers[1])
    page.goto(detail)
    page.check("input[name=approve][value='1']")
    page.fill("#id_reason", "同意按项目付费")
    page.click("#special-step button[type=submit]")
    page.wait_for_url(detail)
    assert "已同意(按项目付费)" in page.locator("h1").inner_text()
    assert page.locator("#special-steps tbody tr").count() == 2
    context.close()

    context, page = _page(browser, live_server, w.user_a)
    page.goto(detail)
    assert "已同意(按项目付费)" in page.locator("h1").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "dip-special-approved.png"), full_page=True)
    run_dip_year("410800", 2026, final=True)
    page.goto(f"{base}/dip/410800/2026/{w.inst_a.fixmedins_code}/")
    text = page.locator("body").inner_text()
    assert "特病单议(按项目付费)" in text and "6.478873" in text and "-3,929.58" in text
    page.screenshot(path=str(SCREENSHOTS / "dip-special-cases.png"), full_page=True)
    context.close()
