"""The demo city's settlement lists and DIP run (devtools.demo_dip, seed_demo_dip)."""
import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import call_command

from casemix.models import DipCaseResult, DipRun, SettlementList
from tests.casemix.helpers import inpatient_settlement
from tests.factories import InstitutionFactory, PersonFactory, local_dt

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
