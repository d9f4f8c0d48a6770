"""The DRG worked example (docs/drg.md section 4) through the database, to the fen: the table imported, the lists
uploaded over the API for settled visits, the year run by run_dip_year (the year-end clearing's service) with the
DRG method of the year, and every stored figure checked, by 点数法 and by 费率法."""
import datetime as dt
from decimal import Decimal

import pytest

from casemix.importer import create_grouping_table, set_year_parameters, spec_rows
from casemix.models import DipCaseResult, DipInstitutionResult
from casemix.selectors import dip_clearing_lines
from casemix.services import run_dip_year
from claims.errors import ServiceError

from .drg_world import POINTS_PARAMS, RATE_PARAMS, DrgExampleWorld

D = Decimal
CASES = {  # group, kind, points, MDC, ADRG, severity of the complications, reason when ungrouped
    "d1": ("GB11", "normal", D("400"), "G", "GB1", "MCC", ""),
    "d2": ("GB15", "normal", D("250"), "G", "GB1", "CC", ""),
    "d3": ("GD19", "low", D("40"), "G", "GD1", "MCC", ""),
    "d4": ("GS13", "high", D("180"), "G", "GS1", "CC", ""),
    "d5": ("", "", None, "F", "FR3", "none", "NO_DRG"),
    "d6": ("", "", None, "", "", "", "NO_MDC"),
}


def stored_cases(run) -> dict:
    return {r.settlement.setl_id: (r.group_code, r.kind, r.points, r.mdc, r.adrg, r.severity, r.ungrouped_reason)
            for r in DipCaseResult.objects.filter(run=run).select_related("settlement")}


class DrgPointsTests(DrgExampleWorld):
    def test_the_year_reproduces_the_example_to_the_fen(self):
        run = run_dip_year("410800", 2026, final=True, reason="year-end clearing 2026")
        assert run.table.kind == "drg" and run.parameters.method == "drg_points"
        assert run.point_value == D("162.068966") and run.total_points == D("870.0000")
        assert (run.cases, run.grouped) == (6, 4)
        assert stored_cases(run) == CASES
        h1 = dip_clearing_lines("410800", 2026)[self.w.inst_a.pk]
        assert (h1.points, h1.point_value, h1.patient_share, h1.fund_paid_by_items, h1.dip_amount, h1.clearing) == (
            D("870"), D("162.068966"), D("21000.00"), D("79000.00"), D("120000.00"), D("41000.00"))
        # d5 and d6 stay paid by items: 12,000.00 already paid, outside the DRG line
        assert D("79000.00") + D("12000.00") == sum(r.fund_pay_sumamt for r in DipCaseResult.objects.filter(run=run))

    def test_the_year_reads_the_table_of_its_method(self):
        # a DIP table imported later and in force too: the DRG year still reads the DRG table, a DIP year the DIP one
        create_grouping_table(spec_rows([{"code": "A", "diag": "K35", "oprn": "47.0", "points": "1000",
                                          "ref_cost": {"3": "10000"}}]), code="DIP-2026", name="dip",
                              region="410800", effective_from=dt.date(2026, 6, 1))
        assert run_dip_year("410800", 2026).table.code == "DRG-EX-2026"
        set_year_parameters(region="410800", year=2026, doc={**POINTS_PARAMS, "method": "dip"})
        run = run_dip_year("410800", 2026)
        assert run.table.code == "DIP-2026" and run.grouped == 1  # d3: K35.800 / 47.0100
        assert {r.mdc for r in DipCaseResult.objects.filter(run=run)} == {""}


    def test_the_institution_reads_its_drg_cases_over_the_api(self):
        run_dip_year("410800", 2026)
        rows = self.client.get("/api/v1/dip-cases/?year=2026").json()["results"]
        assert [(r["setl_id"], r["dise_grp_code"], r["mdc_code"], r["adrg_code"], r["severity"],
                 r["ungrouped_reason"], r["points"]) for r in rows] == [
            ("d1", "GB11", "G", "GB1", "MCC", "", "400.0000"), ("d2", "GB15", "G", "GB1", "CC", "", "250.0000"),
            ("d3", "GD19", "G", "GD1", "MCC", "", "40.0000"), ("d4", "GS13", "G", "GS1", "CC", "", "180.0000"),
            ("d5", "", "F", "FR3", "none", "NO_DRG", None), ("d6", "", "", "", "", "NO_MDC", None)]


class DrgRateTests(DrgExampleWorld):
    PARAMS = RATE_PARAMS

    def test_the_fixed_rate_replaces_the_point_value(self):
        run = run_dip_year("410800", 2026, final=True)
        assert run.parameters.method == "drg_rate" and run.parameters.rate == D("150.000000")
        assert run.point_value == D("150.000000") and run.total_points == D("870.0000")
        assert stored_cases(run) == CASES
        h1 = DipInstitutionResult.objects.get(run=run, institution=self.w.inst_a)
        assert (h1.points, h1.patient_share, h1.fund_paid_by_items, h1.dip_amount, h1.clearing) == (
            D("870"), D("21000.00"), D("79000.00"), D("109500.00"), D("30500.00"))

    def test_without_a_drg_table_the_drg_year_is_refused(self):
        set_year_parameters(region="410100", year=2026, doc=RATE_PARAMS)
        with pytest.raises(ServiceError) as caught:
            run_dip_year("410100", 2026)
        assert [(e["field"], e["code"]) for e in caught.value.errors] == [("table", "NO_GROUPING_TABLE")]
        assert "DRG" in caught.value.errors[0]["message"]
