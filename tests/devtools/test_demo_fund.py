"""The demo's fund side: `seed_demo --history` then `seed_demo_fund` give statements for every past month, a
cleared past year and a budget on the dashboard (what `make demo` runs, on a smaller population)."""
import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db.models import F

from claims.models import Settlement
from devtools.demo_fund import history_days
from fund_budget import monitoring
from fund_budget.models import ClearingReport, Fund, FundBudget, IndexStatus, InstitutionIndex, MonthlyRun

DAY = dt.date(2026, 3, 16)


def test_history_days_are_one_a_month_from_january_of_the_past_year():
    days = history_days(DAY)
    assert days[0] == dt.date(2025, 1, 16) and days[-1] == dt.date(2026, 2, 16) and len(days) == 14
    assert history_days(dt.date(2026, 1, 31))[1] == dt.date(2025, 2, 28)  # at most the 28th


@pytest.fixture
def demo_city(db):
    call_command("seed_demo", "--date", DAY.isoformat(), "--history", "--persons", "400", stdout=StringIO())
    out = StringIO()
    call_command("seed_demo_fund", "--date", DAY.isoformat(), stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=False)
def test_the_demo_has_statements_a_cleared_past_year_and_budgets(demo_city, client):
    assert "clearing 2025: created" in demo_city
    # every history day's visits settled on its own business month
    months = {s.setl_time.astimezone().strftime("%Y-%m") for s in Settlement.objects.only("setl_time")}
    assert {f"2025-{m:02d}" for m in range(1, 13)} | {"2026-01", "2026-02"} <= months
    runs = list(MonthlyRun.objects.order_by("month"))
    assert [r.month for r in runs] == [dt.date(2025, m, 1) for m in range(1, 13)] + [dt.date(2026, 1, 1),
                                                                                       dt.date(2026, 2, 1)]
    assert all(r.statement_count > 0 and r.fund_total > 0 for r in runs)
    reports = ClearingReport.objects.filter(year=2025)
    assert reports.exists()
    assert reports.count() == InstitutionIndex.objects.filter(year=2025, status=IndexStatus.AGREED).count()
    # some institutions under their index, some over it
    assert reports.filter(actual__lt=F("index_amount")).exists()
    assert reports.filter(actual__gt=F("index_amount")).exists()
    assert InstitutionIndex.objects.filter(year=2026, status=IndexStatus.AGREED, agreed_amount__gt=0).exists()
    # the employee and the resident pools each budgeted, indexed and cleared on their own
    assert set(reports.values_list("fund", flat=True)) == {Fund.EMPLOYEE_POOL, Fund.RESIDENT_POOL}
    for year in (2025, 2026):
        for fund in (Fund.EMPLOYEE_POOL, Fund.RESIDENT_POOL):
            assert FundBudget.objects.get(year=year, region="410800", fund=fund).amount > 0
    for fund in (Fund.EMPLOYEE_POOL, Fund.RESIDENT_POOL):
        data = monitoring.dashboard(2026, fund, today=DAY)
        assert data["budget"] > 0 and not data["no_budget"] and data["months_left"] > 0 and data["ytd"] > 0
    user = User.objects.create_user("caseworker", password="x")
    user.groups.add(Group.objects.get(name="fund_bureau"))
    client.force_login(user)
    response = client.get("/fund/clearing/2025/all.xlsx")
    assert response.status_code == 200 and response.content[:2] == b"PK"
    # a second run changes nothing
    call_command("seed_demo_fund", "--date", DAY.isoformat(), stdout=StringIO())
    assert MonthlyRun.objects.count() == 14 and FundBudget.objects.count() == 4
    assert ClearingReport.objects.filter(year=2025).count() == reports.count()
    assert monitoring.dashboard(2026, Fund.RESIDENT_POOL, today=DAY)["budget"] == data["budget"] > Decimal(0)

