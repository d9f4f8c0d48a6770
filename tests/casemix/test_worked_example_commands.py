"""Issue 18's worked example to the fen through the real path and the bureau's commands: the six settled visits,
their lists uploaded over the API [4101] (tests/casemix/worked_world.py), the monthly statements, then
`manage.py run_dip_year --final` (the year's grouping and points) and `manage.py clear_year 2026` (the year-end
clearing); the statements' lines carry what was paid by items and the clearing reports' lines the DIP line D:
H1 −9,000.00, H2 +900.00."""
import io
from decimal import Decimal

from django.core.management import call_command
from django.db.models import Sum

from fund_budget.models import (
    ClearingReport,
    Fund,
    IndexStatus,
    InstitutionIndex,
    PaymentMode,
    Rating,
    StatementLine,
)

from .worked_world import WorkedExampleWorld, settle_year

D = Decimal
EMP = Fund.EMPLOYEE_POOL


class WorkedExampleCommandsTests(WorkedExampleWorld):
    def setUp(self):
        super().setUp()
        settle_year()
        InstitutionIndex.objects.create(year=2026, institution=self.w.inst_a, fund=EMP, agreed_amount=D("40000"),
                                        rating=Rating.AA, assessment_score=D("100"), status=IndexStatus.AGREED)
        InstitutionIndex.objects.create(year=2026, institution=self.w.inst_b, fund=EMP,
                                        payment_mode=PaymentMode.ITEM_BY_ITEM, assessment_score=D("100"))

    def statements_paid(self, institution) -> Decimal:
        return StatementLine.objects.current().filter(statement__institution=institution, fund=EMP).aggregate(
            total=Sum("amount"))["total"]

    def test_the_commands_clear_the_year_to_the_fen(self):
        # the monthly statements paid the cases by items: H1 c1-c3, H2 c4-c6 (c6 未入组 included)
        assert self.statements_paid(self.w.inst_a) == D("29000.00")
        assert self.statements_paid(self.w.inst_b) == D("12000.00")

        out = io.StringIO()
        call_command("run_dip_year", "--region", "410800", "--year", "2026", "--final", stdout=out)
        assert "(final): 5/6 cases grouped, 4340.0000 points, point value 10.000000" in out.getvalue()
        call_command("clear_year", "2026", stdout=out)
        assert "clearing 2026: created 2, updated 0" in out.getvalue() and "dip_unplaced 0" in out.getvalue()

        h1 = ClearingReport.objects.get(institution=self.w.inst_a, fund=EMP)
        h2 = ClearingReport.objects.get(institution=self.w.inst_b, fund=EMP)
        lines_a = {line.key: line.amount for line in h1.lines.all()}
        lines_b = {line.key: line.amount for line in h2.lines.all()}
        # H1: 2,900 points × 10 − 9,000 patients' share = 20,000 against 29,000 paid by items
        assert lines_a["fund_total"] == D("29000.00") and lines_a["dip"] == D("-9000.00")
        assert (lines_a["actual"], lines_a["retained"], lines_a["due"], lines_a["returned"], lines_a["final"]) == (
            D("20000.00"), D("3000.00"), D("23000.00"), D("1450.00"), D("-4550.00"))
        # H2: 1,440 × 10 − 3,500 = 10,900 against 10,000 for its grouped cases; c6's 2,000 stays paid by items
        assert lines_b["fund_total"] == D("12000.00") and lines_b["dip"] == D("900.00")
        assert (lines_b["actual"], lines_b["due"], lines_b["returned"], lines_b["final"]) == (
            D("12900.00"), D("12900.00"), D("600.00"), D("1500.00"))
        # the fund pays the grouped cases exactly the budget: 39,000 paid by items + (−9,000 + 900) = 30,900
        grouped_paid = D("29000.00") + D("10000.00")
        assert grouped_paid + lines_a["dip"] + lines_b["dip"] == D("30900.00")

        # the commands again: nothing changes
        call_command("clear_year", "2026", stdout=out)
        assert "clearing 2026: created 0, updated 0, unchanged 2" in out.getvalue()
