"""The year run with an approved special case (特病单议) reproduces docs/dip.md's worked example to the fen: c3
leaves the points (kind `special`), is paid by items, and its fund payment comes out of the budget first; the
year-end clearing's DIP line still adds up to each institution's clearing."""
from decimal import Decimal

from casemix.models import DipCaseResult, DipInstitutionResult
from casemix.pages import case_rows
from casemix.selectors import dip_clearing_lines
from casemix.services import run_dip_year
from fund_budget.dip_line import dip_lines

from .special_world import REGION, YEAR, SpecialCaseWorld

D = Decimal


class SpecialCaseRunTests(SpecialCaseWorld):
    def test_the_approved_case_reproduces_the_docs_example_to_the_fen(self):
        self.approve(self.ask_c3())
        run = run_dip_year(REGION, YEAR, final=True, reason="year-end clearing 2026")
        assert run.point_value == D("6.478873") and run.total_points == D("2840.0000")
        assert (run.cases, run.grouped) == (6, 4)
        got = {r.settlement.setl_id: (r.group_code, r.kind, r.points)
               for r in DipCaseResult.objects.filter(run=run).select_related("settlement")}
        assert got == {"c1": ("A", "normal", D("1000")), "c2": ("A", "low", D("400")), "c3": ("A", "special", None),
                       "c4": ("B", "normal", D("540")), "c5": ("A", "normal", D("900")), "c6": ("", "", None)}
        lines = dip_clearing_lines(REGION, YEAR)
        h1, h2 = lines[self.w.inst_a.pk], lines[self.w.inst_b.pk]
        assert (h1.points, h1.patient_share, h1.special_fund, h1.fund_paid_by_items, h1.dip_amount, h1.clearing) == (
            D("1400"), D("3000.00"), D("19000.00"), D("29000.00"), D("25070.42"), D("-3929.58"))
        assert (h2.points, h2.patient_share, h2.special_fund, h2.fund_paid_by_items, h2.dip_amount, h2.clearing) == (
            D("1440"), D("3500.00"), D("0.00"), D("10000.00"), D("5829.58"), D("-4170.42"))
        assert sum(r.dip_amount for r in DipInstitutionResult.objects.filter(run=run)) == D("30900.00")
        # the clearing's DIP line (one pool: employee) is each institution's clearing
        assert dip_lines(YEAR, [REGION]) == {(self.w.inst_a.pk, "310100"): D("-3929.58"),
                                             (self.w.inst_b.pk, "310100"): D("-4170.42")}
        why = {r["case"].settlement.setl_id: r["why"] for r in case_rows(run, self.w.inst_a)}
        assert "特病单议" in why["c3"] and "19,000.00" in why["c3"]

    def test_the_trial_run_before_the_decision_still_scores_the_case_high(self):
        request = self.ask_c3()
        run = run_dip_year(REGION, YEAR)
        assert DipCaseResult.objects.get(run=run, settlement__setl_id="c3").kind == "high"
        assert run.point_value == D("10.000000")
        self.approve(request)
        after = run_dip_year(REGION, YEAR)
        assert DipCaseResult.objects.get(run=after, settlement__setl_id="c3").kind == "special"
        # the earlier runs keep what they stored
        assert DipCaseResult.objects.get(run=run, settlement__setl_id="c3").kind == "high"



class MixedSchemesTests(SpecialCaseWorld):
    RESIDENT_CASES = ("c5",)

    def test_the_line_splits_over_the_point_cases_and_adds_up(self):
        """c5 settled under a resident enrollment: H2's line splits by case, c4 540 × 6.478873 − 1,500 − 4,000 and
        c5 900 × 6.478873 − 2,000 − 6,000; H1's special case (clearing 0) changes no split."""
        self.approve(self.ask_c3())
        run_dip_year(REGION, YEAR, final=True)
        assert dip_lines(YEAR, [REGION]) == {
            (self.w.inst_a.pk, "310100"): D("-3929.58"),
            (self.w.inst_b.pk, "310100"): D("-2001.41"), (self.w.inst_b.pk, "390100"): D("-2169.01")}
