"""After a reopening, every reader counts the month once, with its current statements: the clearing's year
totals, the dashboard's spending, the settle-in-order checks, the statement list, the month's workbook and
the month filter. A superseded statement stays readable, with a banner naming the approval, the reason and
the statement that replaced it (its PDF says so too)."""
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from fund_budget.clearing import year_totals
from fund_budget.common import FundError
from fund_budget.models import Fund, MonthlyStatement, StatementLine
from fund_budget.monitoring import spending_frame
from fund_budget.pdf import _superseded_facts
from fund_budget.selectors import statement_months

from .conftest import settle, statement_day_cutoff
from .reopen_world import REASON, reopen, statements  # noqa: F401 - the fixtures

pytestmark = pytest.mark.django_db
D = Decimal
MARCH = dt.date(2026, 3, 1)


@pytest.fixture
def rerun(reopen, person, policy):  # noqa: F811
    """March reopened because of a late settlement of 1,000.00 at hospital A, and settled again."""
    reopen.late_settlement(person, policy, hifp="1000.00")
    reopen.approval = reopen.reopen()
    reopen.run2, _ = settle("2026-03", cutoff=statement_day_cutoff("2026-03") + dt.timedelta(hours=2))
    reopen.new_a = MonthlyStatement.objects.current().get(institution=reopen.s.a)
    return reopen


def test_the_clearing_totals_count_the_month_once(rerun):
    totals = year_totals(2026)
    assert totals[(rerun.s.a.pk, Fund.EMPLOYEE_POOL)]["amount"] == D("11000.00")  # 8,497.95 + 1,502.05 + 1,000.00
    assert totals[(rerun.s.a.pk, Fund.EMPLOYEE_POOL)]["deductions"] == D("300.00")  # not 600: once
    all_lines = StatementLine.objects.filter(statement__institution=rerun.s.a, fund=Fund.EMPLOYEE_POOL)
    assert sum(line.amount for line in all_lines) == D("21000.00")  # both runs' lines are still there


def test_the_dashboard_spending_counts_the_month_once(rerun):
    frame = spending_frame(2026, None)
    row = frame[(frame["month"] == 3) & (frame["institution_id"] == rerun.s.a.pk)]
    assert list(row[Fund.EMPLOYEE_POOL]) == [D("11000.00")]


def test_the_settle_in_order_checks_read_current_runs(rerun):
    """February cannot be settled after March (March's current run); April follows March's second run."""
    with pytest.raises(FundError, match="已结算更晚的月份"):
        settle("2026-02")
    april, created = settle("2026-04")
    assert created and april.previous == rerun.run2


def test_the_list_the_month_filter_and_the_workbook_show_current_statements(client, rerun):
    client.force_login(rerun.s.bureau)
    page = client.get(reverse("fund_budget:statements"), {"month": "2026-03"}).content.decode()
    assert reverse("fund_budget:statement", args=[rerun.new_a.pk]) in page
    assert reverse("fund_budget:statement", args=[rerun.s.st_a.pk]) + '"' not in page
    assert statement_months(rerun.s.bureau) == [MARCH]
    response = client.get(reverse("fund_budget:statements-month-xlsx", args=["2026-03"]))
    rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(min_row=2, values_only=True))
    assert len(rows) == 2 and {r[1] for r in rows} == {rerun.s.a.fixmedins_code, rerun.s.b.fixmedins_code}


def test_the_superseded_statement_shows_a_banner(client, rerun):
    client.force_login(rerun.s.user_a)  # the institution reads its own superseded statement too
    with translation.override("zh-hans"):
        response = client.get(reverse("fund_budget:statement", args=[rerun.s.st_a.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="superseded-banner"' in page and "本结算单已作废" in page
    assert "deputy" in page and "chief" in page and REASON in page  # the approval, the request, the reason
    assert reverse("fund_budget:statement", args=[rerun.new_a.pk]) in page  # the statement that replaced it
    replacing = client.get(reverse("fund_budget:statement", args=[rerun.new_a.pk])).content.decode()
    assert "superseded-banner" not in replacing
    assert reverse("fund_budget:statement", args=[rerun.s.st_a.pk]) in replacing  # and back


def test_before_the_new_run_the_banner_says_the_month_waits(client, reopen):  # noqa: F811
    reopen.reopen()
    client.force_login(reopen.deputy)
    page = client.get(reverse("fund_budget:statement", args=[reopen.s.st_b.pk])).content.decode()
    assert "本月尚未重新结算" in page and "申请重开本月" not in page


def test_the_superseded_statements_pdf_says_so(client, rerun):
    with translation.override("zh-hans"):
        facts = dict(_superseded_facts(rerun.s.st_a))
    assert facts["状态"] == "已作废(月份重开)" and facts["重开原因"] == REASON
    assert facts["审批人"].startswith("deputy ")
    assert _superseded_facts(rerun.new_a) == []
    client.force_login(rerun.s.bureau)
    response = client.get(reverse("fund_budget:statement-pdf", args=[rerun.s.st_a.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
