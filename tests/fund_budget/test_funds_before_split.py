"""Rows written before the funds were split (issue 17) keep their codes (money rows are append-only) and their
meaning: a merged basic-pool index clears against its merged statement lines, a one-to-one successor (330100
after hifob) reads its predecessor's lines, the dashboard shows a merged budget, and no new row takes an old code."""
import datetime as dt
from decimal import Decimal

import pytest

from fund_budget import funds, monitoring
from fund_budget.clearing import clear_year
from fund_budget.common import FundError
from fund_budget.deductions import record_deduction
from fund_budget.models import (
    ClearingReport,
    Fund,
    FundBudget,
    IndexStatus,
    InstitutionIndex,
    MonthlyRun,
    MonthlyStatement,
    PaymentMode,
    StatementLine,
)
from tests.factories import local_dt

from .conftest import make_institution, worked_parameters

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def merged_2025(db):
    """December 2025 stated under the merged funds: a hifp line and a hifob line."""
    worked_parameters(2025)
    inst = make_institution(71)
    run = MonthlyRun.objects.create(month=dt.date(2025, 12, 1), cutoff=local_dt(2026, 1, 10, 5, 15))
    st = MonthlyStatement.objects.create(
        run=run, institution=inst, month=dt.date(2025, 12, 1), withholding_rate=D("0.05"),
        fund_amount=D("91000"), withheld=D("4550"), payable=D("86450"), net_payable=D("86450"),
        payment_due=dt.date(2026, 1, 15), issued_at=local_dt(2026, 1, 10, 6, 15))
    StatementLine.objects.create(statement=st, fund=Fund.HIFP, amount=D("90000"), withheld=D("4500"),
                                 deductions=D("0"))
    StatementLine.objects.create(statement=st, fund=Fund.HIFOB, amount=D("1000"), withheld=D("50"),
                                 deductions=D("0"))
    return inst


def test_reads_across_the_split():
    assert funds.reads(Fund.HIFP) == ["hifp", "310100", "390100"]
    assert funds.reads(Fund.LARGE_AMOUNT) == ["330100", "hifob"]
    assert funds.reads(Fund.EMPLOYEE_POOL) == ["310100"]  # the merged pool is not the employee pool's


def test_a_merged_index_clears_against_its_merged_lines(merged_2025):
    InstitutionIndex.objects.create(year=2025, institution=merged_2025, fund=Fund.HIFP, agreed_amount=D("100000"),
                                    rating="AA", assessment_score=D("100"), status=IndexStatus.AGREED)
    InstitutionIndex.objects.create(year=2025, institution=merged_2025, fund=Fund.LARGE_AMOUNT,
                                    payment_mode=PaymentMode.ITEM_BY_ITEM, assessment_score=D("100"))
    clear_year(2025)
    merged = ClearingReport.objects.get(fund=Fund.HIFP)
    assert (merged.actual, merged.withheld, merged.retained) == (D("90000.00"), D("4500.00"), D("5000.00"))
    large = ClearingReport.objects.get(fund=Fund.LARGE_AMOUNT)
    assert (large.actual, large.withheld, large.final) == (D("1000.00"), D("50.00"), D("50.00"))
    assert merged.get_fund_display() == "基本医疗保险统筹基金(职工与居民合并)"


def test_the_dashboard_shows_a_merged_budget(merged_2025):
    FundBudget.objects.create(year=2025, region="410800", fund=Fund.HIFP, amount=D("1200000"))
    data = monitoring.overview(2025, today=dt.date(2026, 1, 20))
    panels = {p["fund"]: p for p in data["panels"]}
    assert list(panels) == [Fund.HIFP, Fund.HIFOB]  # a year stated before the split shows the funds it had
    assert panels[Fund.HIFP]["ytd"] == D("90000.00") and panels[Fund.HIFOB]["ytd"] == D("1000.00")
    assert monitoring.dashboard(2025, Fund.LARGE_AMOUNT, today=dt.date(2026, 1, 20))["ytd"] == D("1000.00")


def test_no_new_deduction_takes_an_old_code(merged_2025):
    with pytest.raises(FundError):
        record_deduction(merged_2025, D("10"), "重复收费", fund=Fund.HIFP)
    assert record_deduction(merged_2025, D("10"), "重复收费").fund == Fund.EMPLOYEE_POOL
