"""The DIP line of the year-end clearing (docs/dip.md): issue 18's worked example built through the API
(tests/casemix/worked_world.py), the monthly statements, the year's final DIP run and clear_year; H1's line is
−9,000.00 and H2's +900.00, entering A and the final amount of the employee pool's report."""
from decimal import Decimal

from casemix.services import run_dip_year
from fund_budget.clearing import clear_year, recompute_clearing
from fund_budget.models import (
    ClearingReport,
    ClearingSide,
    Fund,
    IndexStatus,
    InstitutionIndex,
    PaymentMode,
    Rating,
)
from tests.casemix.worked_world import WorkedExampleWorld, settle_year

D = Decimal
EMP, RES = Fund.EMPLOYEE_POOL, Fund.RESIDENT_POOL


class DipClearingLineTests(WorkedExampleWorld):
    def setUp(self):
        super().setUp()
        settle_year()

    def index(self, institution, fund=EMP, amount=None):
        if amount is None:
            return InstitutionIndex.objects.create(year=2026, institution=institution, fund=fund,
                                                   payment_mode=PaymentMode.ITEM_BY_ITEM, assessment_score=D("100"))
        return InstitutionIndex.objects.create(year=2026, institution=institution, fund=fund, agreed_amount=D(amount),
                                               rating=Rating.AA, assessment_score=D("100"), status=IndexStatus.AGREED)

    def lines(self, report):
        return {line.key: line.amount for line in report.lines.all()}

    def test_the_worked_example_enters_the_final_amount(self):
        self.index(self.w.inst_a, amount="40000")  # H1 under the budget: the DIP line lowers A from 29,000 to 20,000
        self.index(self.w.inst_b)  # H2 item by item: final = D + returned
        run_dip_year("410800", 2026, final=True)
        assert clear_year(2026)["dip_unplaced"] == 0
        h1 = ClearingReport.objects.get(institution=self.w.inst_a, fund=EMP)
        h2 = ClearingReport.objects.get(institution=self.w.inst_b, fund=EMP)
        assert self.lines(h1)["dip"] == D("-9000.00") and self.lines(h2)["dip"] == D("900.00")
        # H1: items 29,000 (W 5% = 1,450), A = 29,000 − 9,000 = 20,000; S = 20,000 capped at 0.15 × 40,000 = 6,000;
        # retained 0.5 × 6,000 = 3,000; due 23,000; final = 23,000 − 20,000 − 9,000 + 1,450 = −4,550
        assert (h1.fund_total, h1.actual, h1.side, h1.retained, h1.due, h1.returned, h1.final) == (
            D("29000.00"), D("20000.00"), ClearingSide.UNDER, D("3000.00"), D("23000.00"), D("1450.00"),
            D("-4550.00"))
        # H2: items 12,000 (c6 too, 未入组), W 600; A = 12,900 = due; final = 900 + 600
        assert (h2.fund_total, h2.actual, h2.due, h2.returned, h2.final) == (
            D("12000.00"), D("12900.00"), D("12900.00"), D("600.00"), D("1500.00"))
        assert self.lines(h1)["final"] == h1.final and self.lines(h2)["final"] == h2.final
        assert recompute_clearing(h1).final == D("-4550.00")

    def test_without_a_final_run_there_is_no_line(self):
        self.index(self.w.inst_b)
        run_dip_year("410800", 2026, final=False)
        clear_year(2026)
        h2 = ClearingReport.objects.get(institution=self.w.inst_b)
        assert "dip" not in self.lines(h2) and (h2.actual, h2.final) == (D("12000.00"), D("600.00"))
        # the year's final run arrives: the draft is recomputed with the line
        run_dip_year("410800", 2026, final=True)
        counts = clear_year(2026)
        assert counts["updated"] == 1 and counts["dip_unplaced"] == 1  # H1 has no index: nothing carries its line
        h2.refresh_from_db()
        assert self.lines(h2)["dip"] == D("900.00") and h2.final == D("1500.00")


class MixedSchemesTests(WorkedExampleWorld):
    RESIDENT_CASES = ("c5",)

    def test_each_pool_carries_its_cases_part(self):
        settle_year()
        for fund in (EMP, RES):
            InstitutionIndex.objects.create(year=2026, institution=self.w.inst_b, fund=fund,
                                            payment_mode=PaymentMode.ITEM_BY_ITEM, assessment_score=D("100"))
        run_dip_year("410800", 2026, final=True)
        clear_year(2026)
        dip = {r.fund: next(line.amount for line in r.lines.all() if line.key == "dip")
               for r in ClearingReport.objects.filter(institution=self.w.inst_b)}
        # c4 (employee): 540 × 10 − 1,500 − 4,000 = −100; c5 (resident): 900 × 10 − 2,000 − 6,000 = +1,000
        assert dip == {EMP: D("-100.00"), RES: D("1000.00")}
