"""The worked example of issue 18 (shared/spec/dip.md section 4) as a database: settled inpatient visits at H1
(level 3) and H2 (level 2), their lists uploaded over the API [4101], the grouping table and parameters imported.
Shared by the casemix tests and the year-end clearing's DIP line (tests/fund_budget/test_dip_clearing_line.py)."""
import datetime as dt
from decimal import Decimal

from django.utils import timezone

from casemix.importer import create_grouping_table, set_year_parameters, spec_rows
from tests.api.base import APITestBase, make_person
from tests.factories import local_dt
from tests.fund_budget.conftest import local, settle, worked_parameters

from .helpers import good_list, inpatient_settlement

D = Decimal
GROUPS = [
    {"code": "A", "name": "急性阑尾炎·阑尾切除术", "diag": "K35", "oprn": "47.0", "points": "1000",
     "ref_cost": {"3": "10000.00", "2": "8000.00"}},
    {"code": "B", "name": "2型糖尿病·保守治疗", "diag": "E11", "oprn": None, "points": "600",
     "ref_cost": {"3": "6000.00", "2": "5000.00"}},
]
# case, institution (a: H1 level 3, b: H2 level 2), main diagnosis, main operation, fund paid, patient's share
CASES = [
    ("c1", "a", "K35.800", "47.0100", "7000.00", "2000.00"),
    ("c2", "a", "K35.900", "47.0900", "3000.00", "1000.00"),
    ("c3", "a", "K35.800", "47.0100", "19000.00", "6000.00"),
    ("c4", "b", "E11.900", None, "4000.00", "1500.00"),
    ("c5", "b", "K35.800", "47.0100", "6000.00", "2000.00"),
    ("c6", "b", "J18.900", None, "2000.00", "1000.00"),
]


def build_worked_example(w, client_a, client_b, resident_cases=()) -> dict:
    """The table, the year's parameters, the six settled visits of `w` (tests.api.base.build_world) and their
    lists uploaded by each institution's API client; {case: settlement}. resident_cases are settled under a
    resident (390) enrollment, the others employee (310)."""
    create_grouping_table(spec_rows(GROUPS), code="EX-2026", name="worked example", region="410800",
                          effective_from=dt.date(2026, 1, 1))
    set_year_parameters(region="410800", year=2026,
                        doc={"low": "0.5", "high": "2", "coef": {"3": "1.00", "2": "0.90"}, "budget": "30900.00"})
    settlements = {}
    for n, (case, inst, diag, oprn, fund, part) in enumerate(CASES):
        institution = w.inst_a if inst == "a" else w.inst_b
        person = make_person(f"PX{n}", insutype="390" if case in resident_cases else "310")
        begntime = local_dt(2026, 3 + n, 2, 9)
        settlement = inpatient_settlement(institution, person, fund=fund, part=part, setl_id=case,
                                          policy_version=w.policy_2026, begntime=begntime,
                                          endtime=begntime + dt.timedelta(days=6))
        operations = [] if oprn is None else [{
            "oprn_oprt_code": oprn, "oprn_oprt_name": "阑尾切除术", "main_oprn_flag": "1",
            "oprn_oprt_date": (begntime + dt.timedelta(days=1)).date().isoformat()}]
        body = good_list(diseinfo=[{"diag_code": diag, "diag_name": diag, "maindiag_flag": "1"}],
                         oprninfo=operations)
        client = client_a if inst == "a" else client_b
        response = client.post(f"/api/v1/settlements/{case}/setl-list/", body, format="json")
        assert response.status_code == 201, response.content
        settlements[case] = settlement
    return settlements


def settle_year():
    """The year's parameters and twelve monthly runs; the cases were recorded today, so each run reads up to now
    (or the month's end, if later), a minute after the previous run."""
    worked_parameters(2026)
    now = timezone.now()
    for month in range(1, 13):
        end = local(2026 + month // 12, month % 12 + 1, 1)
        settle(f"2026-{month:02d}", cutoff=max(now, end) + dt.timedelta(minutes=month))


class WorkedExampleWorld(APITestBase):
    """The six cases; RESIDENT_CASES are settled under a resident (390) enrollment, the others employee."""

    RESIDENT_CASES: tuple[str, ...] = ()

    def setUp(self):
        super().setUp()
        self.settlements = build_worked_example(self.w, self.client, self.other_client, self.RESIDENT_CASES)
