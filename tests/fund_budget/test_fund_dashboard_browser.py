"""The fund dashboard in a real browser (Playwright + Debian's chromium): each fund has its own panel and its
own ECharts chart drawn (docs/benefit-layers.md §F). Screenshot: docs/screenshots/fund-dashboard.png."""
import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from fund_budget.models import Fund, FundBudget, IndexStatus, InstitutionIndex
from insurance.models import Insutype
from tests.factories import DemoPolicyFactory, EnrollmentFactory, PersonFactory
from tests.workspace.test_browser import SCREENSHOTS, browser  # noqa: F401

from .conftest import local, make_institution, make_settlement, worked_parameters

D = Decimal


def test_each_fund_is_drawn_on_its_own(transactional_db, live_server, browser):  # noqa: F811
    policy = DemoPolicyFactory()
    year = dt.date.today().year
    worked_parameters(year)
    for fund, amount in ((Fund.EMPLOYEE_POOL, "1200000"), (Fund.RESIDENT_POOL, "400000")):
        FundBudget.objects.create(year=year, region="410800", fund=fund, amount=D(amount))
    employee, resident = PersonFactory(), PersonFactory()
    EnrollmentFactory(person=employee, insutype=Insutype.EMPLOYEE)
    EnrollmentFactory(person=resident, insutype=Insutype.RESIDENT)
    inst = make_institution(81, name="市第一人民医院")
    InstitutionIndex.objects.create(year=year, institution=inst, fund=Fund.RESIDENT_POOL, agreed_amount=D("10000"),
                                    status=IndexStatus.AGREED)
    for month in range(1, 12):
        make_settlement(inst, local(year, month, 10), person=employee, policy=policy, hifp="90000")
        make_settlement(inst, local(year, month, 12), person=resident, policy=policy, hifp="30000")
    user = User.objects.create_user("fundclerk", password="x")
    user.groups.add(Group.objects.get(name="fund_bureau"))
    client = Client()
    client.force_login(user)

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    page = context.new_page()
    page.goto(f"{live_server.url}/fund/?year={year}&region=410800")
    assert [h.inner_text() for h in page.locator("section.fund-panel > h2").all()] == [
        "职工基本医疗保险统筹基金", "城乡居民基本医疗保险基金"]
    for fund in (Fund.EMPLOYEE_POOL, Fund.RESIDENT_POOL):
        page.wait_for_selector(f'#fund-{fund} .fund-chart canvas, #fund-{fund} .fund-chart svg')
    assert "市第一人民医院" in page.locator(f"#fund-{Fund.RESIDENT_POOL}").inner_text()
    assert "市第一人民医院" not in page.locator(f"#fund-{Fund.EMPLOYEE_POOL}").inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "fund-dashboard.png"), full_page=True)
    context.close()


pytestmark = pytest.mark.django_db(transaction=True)
