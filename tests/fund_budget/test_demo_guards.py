"""The guards the demo walk found missing: a cutoff that would lock a month empty is refused, a year with no
clearing answers 404 rather than an empty workbook, and the dashboard warns when the year has no budget."""
import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command

from fund_budget import monitoring
from fund_budget.common import FundError
from fund_budget.models import Fund, FundBudget, MonthlyRun

from .conftest import local, make_institution, make_settlement, settle, worked_parameters

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def march(db, person, policy):
    worked_parameters(2026)
    hospital = make_institution(1)
    # business-dated in March, recorded much later (the demo imports March's days in December)
    make_settlement(hospital, local(2026, 3, 16, 10), person=person, policy=policy, hifp="500.00",
                    created_at=local(2026, 5, 2, 9))
    return hospital


def test_a_cutoff_before_the_months_records_is_refused_and_nothing_is_locked(march):
    with pytest.raises(FundError, match="2026-03 在数据截止时间 2026-04-10 06:00 之前没有任何结算记录"):
        settle("2026-03", cutoff=local(2026, 4, 10, 6))
    assert not MonthlyRun.objects.exists()
    run, created = settle("2026-03", cutoff=local(2026, 5, 3, 0))
    assert created and run.statement_count == 1 and run.fund_total == D("500.00")


def test_the_command_says_why_it_refuses(march):
    with pytest.raises(CommandError, match="锁定为空月"):
        call_command("settle_month", "2026-03", "--cutoff", "2026-04-10T06:00:00")
    assert not MonthlyRun.objects.exists()


def test_a_month_with_no_settlement_at_all_may_still_be_settled(db):
    worked_parameters(2026)
    run, created = settle("2026-02")
    assert created and run.statement_count == 0


@pytest.fixture
def caseworker(db):
    user = User.objects.create_user("caseworker", password="x")
    user.groups.add(Group.objects.get(name="fund_bureau"))
    return user


def test_year_xlsx_without_a_clearing_is_a_404_page(client, caseworker):
    client.force_login(caseworker)
    response = client.get("/fund/clearing/2026/all.xlsx")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "Content-Disposition" not in response
    assert "2026 年度尚未进行年终清算" in response.content.decode()


def test_dashboard_warns_when_the_year_has_no_budget(client, caseworker, march):
    data = monitoring.dashboard(2026, Fund.EMPLOYEE_POOL, today=dt.date(2026, 3, 31))
    assert data["no_budget"] is True and data["months_left"] is None and data["ytd"] == D("500.00")
    client.force_login(caseworker)
    page = client.get("/fund/?year=2026").content.decode()
    assert "年尚未设置" in page and "年度预算" in page


def test_dashboard_with_a_budget_has_no_such_warning(client, caseworker, march):
    FundBudget.objects.create(year=2026, region="410800", fund=Fund.EMPLOYEE_POOL, amount=D("1200000"))
    data = monitoring.dashboard(2026, Fund.EMPLOYEE_POOL, today=dt.date(2026, 3, 31))
    assert data["no_budget"] is False and data["months_left"] > 0
    client.force_login(caseworker)
    assert "年尚未设置" not in client.get("/fund/?year=2026").content.decode()
