"""The worked example of issue 18 (shared/spec/dip.md section 4) through the database: settled inpatient visits
at H1 (level 3) and H2 (level 2), their lists uploaded over the API [4101], the grouping table and parameters
imported, the year run by run_dip_year (the year-end clearing's service) and every stored figure checked."""
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from casemix.models import DipCaseResult, DipInstitutionResult
from casemix.selectors import dip_clearing_lines
from casemix.services import run_dip_year
from claims.errors import ServiceError

from .helpers import good_list
from .worked_world import WorkedExampleWorld

D = Decimal


class WorkedExampleTests(WorkedExampleWorld):
    def test_the_year_reproduces_the_example_to_the_fen(self):
        run = run_dip_year("410800", 2026, final=True, reason="year-end clearing 2026")
        assert run.point_value == D("10.000000") and run.total_points == D("4340.0000")
        assert (run.cases, run.grouped) == (6, 5)
        got = {r.settlement.setl_id: (r.group_code, r.kind, r.points)
               for r in DipCaseResult.objects.filter(run=run).select_related("settlement")}
        assert got == {"c1": ("A", "normal", D("1000")), "c2": ("A", "low", D("400")), "c3": ("A", "high", D("1500")),
                       "c4": ("B", "normal", D("540")), "c5": ("A", "normal", D("900")), "c6": ("", "", None)}
        lines = dip_clearing_lines("410800", 2026)
        h1, h2 = lines[self.w.inst_a.pk], lines[self.w.inst_b.pk]
        assert (h1.points, h1.patient_share, h1.fund_paid_by_items, h1.dip_amount, h1.clearing) == (
            D("2900"), D("9000.00"), D("29000.00"), D("20000.00"), D("-9000.00"))
        assert (h2.points, h2.patient_share, h2.fund_paid_by_items, h2.dip_amount, h2.clearing) == (
            D("1440"), D("3500.00"), D("10000.00"), D("10900.00"), D("900.00"))
        # the fund pays the grouped cases exactly the budget
        assert sum(r.dip_amount for r in DipInstitutionResult.objects.filter(run=run)) == D("30900.00")

    def test_the_institution_sees_its_grouped_cases(self):
        run_dip_year("410800", 2026)
        rows = self.client.get("/api/v1/dip-cases/?year=2026").json()["results"]
        assert [(r["setl_id"], r["dise_grp_code"], r["kind"], r["points"]) for r in rows] == [
            ("c1", "A", "normal", "1000.0000"), ("c2", "A", "low", "400.0000"), ("c3", "A", "high", "1500.0000")]
        assert all(r["final"] is False for r in rows)
        others = self.other_client.get("/api/v1/dip-cases/?year=2026").json()["results"]
        assert [(r["setl_id"], r["dise_grp_code"] or None, r["points"]) for r in others] == [
            ("c4", "B", "540.0000"), ("c5", "A", "900.0000"), ("c6", None, None)]

    def test_a_later_run_is_a_new_version_and_a_draft_is_not_the_clearing_line(self):
        run_dip_year("410800", 2026)
        assert dip_clearing_lines("410800", 2026) == {}
        # c6's list corrected to a grouped diagnosis: the next run groups it; the first run's rows stay
        body = good_list(diseinfo=[{"diag_code": "E11.900", "diag_name": "2型糖尿病", "maindiag_flag": "1"}],
                         oprninfo=[])
        assert self.other_client.post("/api/v1/settlements/c6/setl-list/", body, format="json").status_code == 201
        second = run_dip_year("410800", 2026, final=True)
        assert DipCaseResult.objects.filter(settlement__setl_id="c6").count() == 2
        c6 = DipCaseResult.objects.get(run=second, settlement__setl_id="c6")
        assert (c6.group_code, c6.kind, c6.points) == ("B", "normal", D("540"))  # 3,000 of 5,000 at level 2
        assert sum(r.dip_amount for r in DipInstitutionResult.objects.filter(run=second)) == D("30900.00")

    def test_the_command_runs_the_year_and_prints_the_dip_lines(self):
        out = io.StringIO()
        call_command("run_dip_year", "--region", "410800", "--year", "2026", "--final", stdout=out)
        text = out.getvalue()
        assert "5/6 cases grouped, 4340.0000 points, point value 10.000000" in text
        assert f"{self.w.inst_a.fixmedins_code}  points 2900.0000  DIP amount 20000.00" in text
        assert "clearing -9000.00" in text and "clearing 900.00" in text
        with pytest.raises(CommandError, match="NO_GROUPING_TABLE|没有有效的DIP分组表"):
            call_command("run_dip_year", "--region", "410100", "--year", "2026", stdout=io.StringIO())

    def test_without_table_or_parameters_the_run_is_refused(self):
        with pytest.raises(ServiceError) as caught:
            run_dip_year("410100", 2026)
        assert {e["code"] for e in caught.value.errors} == {"NO_GROUPING_TABLE", "NO_PARAMETERS"}
