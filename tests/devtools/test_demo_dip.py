"""The demo city's settlement lists and DIP runs (devtools.demo_dip, seed_demo_dip): the current year's trial run,
the past year's final run and its year-end clearing with the DIP line, each kept when run again."""
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from casemix.models import DipCaseResult, DipRun, SettlementList
from fund_budget.models import ClearingLine, ClearingReport, Fund, InstitutionIndex, PaymentMode
from tests.casemix.helpers import inpatient_settlement
from tests.factories import InstitutionFactory, PersonFactory, local_dt
from tests.fund_budget.conftest import settle, worked_parameters

FIXTURES = Path(__file__).resolve().parents[2] / "casemix" / "fixtures"

pytestmark = pytest.mark.django_db


def test_the_demo_gets_lists_and_a_run_and_a_second_run_keeps_them():
    call_command("import_grouping_table", str(FIXTURES / "demo-dip-2026.csv"), "--code", "DEMO-DIP-2026",
                 "--region", "410800", "--effective-from", "2026-01-01", "--params",
                 str(FIXTURES / "demo-dip-params-2026.json"), stdout=io.StringIO())
    hospital = InstitutionFactory(level=3, region="410800")
    man = PersonFactory(gender="1", birth_date=dt.date(1960, 1, 1))
    appendix = inpatient_settlement(hospital, man, diagnoses=["K35.800"])  # admitted 2026-03-02
    inpatient_settlement(hospital, man, begntime=local_dt(2026, 2, 1, 9), endtime=local_dt(2026, 2, 3, 9),
                         diagnoses=["O80.000"])  # a birth: not for a man
    out = io.StringIO()
    call_command("seed_demo_dip", "--date", "2026-03-16", stdout=out)
    assert "1 uploaded, 0 kept, 1 refused" in out.getvalue()
    result = DipCaseResult.objects.get(settlement=appendix)
    assert result.group_code == "K35.0001" and result.kind == "normal"  # 9,000 of a 10,000 reference
    call_command("seed_demo_dip", "--date", "2026-03-16", stdout=out)
    assert SettlementList.objects.count() == 1 and DipRun.objects.count() == 2


def _past_year_world():
    """The demo's 2025 grouping table and parameters, an appendectomy settled in June 2025 at a level-3 hospital,
    the year's fund parameters, an item-by-item index of the hospital in each pool, twelve monthly statements."""
    call_command("import_grouping_table", str(FIXTURES / "demo-dip-2026.csv"), "--code", "DEMO-DIP-2025",
                 "--region", "410800", "--effective-from", "2025-01-01", "--effective-to", "2025-12-31", "--params",
                 str(FIXTURES / "demo-dip-params-2025.json"), stdout=io.StringIO())
    hospital = InstitutionFactory(level=3, region="410800")
    man = PersonFactory(gender="1", birth_date=dt.date(1960, 1, 1))
    inpatient_settlement(hospital, man, fund="7000.00", part="2000.00", diagnoses=["K35.800"],
                         begntime=local_dt(2025, 6, 2, 9), endtime=local_dt(2025, 6, 8, 9))
    worked_parameters(2025)
    for fund in (Fund.EMPLOYEE_POOL, Fund.RESIDENT_POOL):
        InstitutionIndex.objects.create(year=2025, institution=hospital, fund=fund,
                                        payment_mode=PaymentMode.ITEM_BY_ITEM, assessment_score=Decimal("100"))
    now = timezone.now()
    for month in range(1, 13):  # the settlement was recorded now: every run reads up to now
        settle(f"2025-{month:02d}", cutoff=now + dt.timedelta(minutes=month))
    return hospital


def test_the_past_year_is_closed_with_its_final_run_and_the_clearing_carries_the_dip_line():
    hospital = _past_year_world()
    out = io.StringIO()
    call_command("seed_demo_dip", "--date", "2026-03-16", stdout=out)
    text = out.getvalue()
    assert "DIP lists 410800 2025: 1 uploaded, 0 kept, 0 refused" in text
    # 9,000 of a 10,000 reference: 1,000 points; point value (410,000 + 2,000) ÷ 1,000 = 412
    assert "(final): 1/1 cases grouped, point value 412.000000" in text
    assert "clearing 2025: created 2, updated 0" in text and "dip_unplaced 0" in text
    run = DipRun.objects.get(year=2025)
    assert run.final and run.reason == "year-end clearing 2025 (demo)"
    # the hospital's DIP amount is the whole budget: 1,000 × 412 − 2,000 = 410,000 against 7,000 paid by items
    line = ClearingLine.objects.get(key="dip", report__institution=hospital)
    assert line.amount == Decimal("403000.00") and line.report.final == Decimal("403000.00") + line.report.returned
    # again: the final run and the clearing are kept
    call_command("seed_demo_dip", "--date", "2026-03-16", stdout=out)
    assert "the year's final DIP run is kept" in out.getvalue()
    assert "clearing 2025: created 0, updated 0, unchanged 2" in out.getvalue()
    assert DipRun.objects.filter(year=2025).count() == 1 and ClearingReport.objects.count() == 2


def test_without_december_statements_the_past_year_is_refused_by_name():
    call_command("import_grouping_table", str(FIXTURES / "demo-dip-2026.csv"), "--code", "DEMO-DIP-2025",
                 "--region", "410800", "--effective-from", "2025-01-01", "--effective-to", "2025-12-31", "--params",
                 str(FIXTURES / "demo-dip-params-2025.json"), stdout=io.StringIO())
    with pytest.raises(CommandError, match="2025 年12月尚未月度结算"):
        call_command("seed_demo_dip", "--date", "2026-03-16", stdout=io.StringIO())
