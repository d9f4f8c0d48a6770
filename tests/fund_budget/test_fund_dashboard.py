"""The fund dashboard shows each fund on its own (docs/benefit-layers.md §F): the employee and resident pools
with their own budget, spending to date, months of budget left and institutions above their index of that fund."""
import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User

from fund_budget import monitoring
from fund_budget.models import Fund, FundBudget, IndexStatus, InstitutionIndex
from insurance.models import Insutype
from tests.factories import EnrollmentFactory, PersonFactory

from .conftest import local, make_institution, make_settlement, worked_parameters

pytestmark = pytest.mark.django_db
D = Decimal
EMP, RES = Fund.EMPLOYEE_POOL, Fund.RESIDENT_POOL
TODAY = dt.date(2026, 3, 31)  # 90 of 365 days


@pytest.fixture
def two_pools(policy):
    worked_parameters(2026, warning_excess=D("0.10"))
    FundBudget.objects.create(year=2026, region="410800", fund=EMP, amount=D("1200000"))
    FundBudget.objects.create(year=2026, region="410800", fund=RES, amount=D("400000"))
    employee, resident = PersonFactory(), PersonFactory()
    EnrollmentFactory(person=employee, insutype=Insutype.EMPLOYEE)
    EnrollmentFactory(person=resident, insutype=Insutype.RESIDENT)
    a, b = make_institution(61, name="机构A"), make_institution(62, name="机构B")
    for month in (1, 2, 3):
        make_settlement(a, local(2026, month, 10), person=employee, policy=policy, hifp="120000")
        make_settlement(b, local(2026, month, 10), person=resident, policy=policy, hifp="10000")
    # A is above its employee index; B is above its resident index and not above its (unspent) employee one
    for inst, fund, amount in ((a, EMP, "600000"), (b, EMP, "10000"), (b, RES, "40000")):
        InstitutionIndex.objects.create(year=2026, institution=inst, fund=fund, agreed_amount=D(amount),
                                        status=IndexStatus.AGREED)
    return a, b


def test_each_pool_has_its_own_figures_and_warnings(two_pools):
    a, b = two_pools
    data = monitoring.overview(2026, "410800", today=TODAY)
    panels = {p["fund"]: p for p in data["panels"]}
    assert list(panels) == [EMP, RES]
    emp, res = panels[EMP], panels[RES]
    assert (emp["budget"], emp["ytd"], emp["months_left"]) == (D("1200000.00"), D("360000.00"), D("6.9"))
    assert (res["budget"], res["ytd"], res["months_left"]) == (D("400000.00"), D("30000.00"), D("36.5"))
    assert [w["code"] for w in emp["institution_warnings"]] == [a.fixmedins_code]
    assert [w["code"] for w in res["institution_warnings"]] == [b.fixmedins_code]
    assert not res["warnings"] and emp["warnings"]  # the employee pool runs ahead of its pace, not the resident
    assert data["table"][0]["funds"] == [D("120000.00"), D("10000.00")]


def test_the_page_shows_each_fund_with_its_chart(client, two_pools):
    user = User.objects.create_user("fundclerk", password="x")
    user.groups.add(Group.objects.get(name="fund_bureau"))
    client.force_login(user)
    page = client.get("/fund/", {"year": 2026, "region": "410800"}).content.decode()
    for fund in (EMP, RES):
        assert f'data-chart="fund-chart-{fund}"' in page and f'<script id="fund-chart-{fund}"' in page
    assert "职工基本医疗保险统筹基金" in page and "城乡居民基本医疗保险基金" in page
    only = client.get("/fund/", {"year": 2026, "region": "410800", "fund": RES}).content.decode()
    assert 'id="fund-chart-390100"' in only and 'id="fund-chart-310100"' not in only
