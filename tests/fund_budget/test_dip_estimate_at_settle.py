"""The DIP estimate settle_month stores with the month's statements (docs/dip.md, "Running points and the
estimated point value"): issue 18's worked example settled one case a month (tests/casemix/worked_world.py), the
hand-computed table of the doc reproduced month by month, December's estimate equal to the final point value,
and no estimate where the region has no DIP."""
import datetime as dt
from decimal import Decimal

from django.utils import timezone

from casemix.estimates import forecast, month_estimate
from casemix.services import run_dip_year
from fund_budget.models import DipMonthEstimate, MonthlyStatement, StatementDipPoints
from tests.casemix.worked_world import WorkedExampleWorld, settle_year

from .conftest import make_institution, make_settlement, settle, worked_parameters

D = Decimal
# month: (statement's institution, its running points, cases, grouped; region's P, S, F, FS, v) — docs/dip.md
EXPECTED = {
    3: ("a", "1000.0000", 1, 1, "1000.0000", "2000.00", "4000.0000", "8000.00", "9.725000"),
    4: ("a", "1400.0000", 2, 2, "1400.0000", "3000.00", "4200.0000", "9000.00", "9.500000"),
    5: ("a", "2900.0000", 3, 3, "2900.0000", "9000.00", "6960.0000", "21600.00", "7.543103"),
    6: ("b", "540.0000", 1, 1, "3440.0000", "10500.00", "6880.0000", "21000.00", "7.543605"),
    7: ("b", "1440.0000", 2, 2, "4340.0000", "12500.00", "7440.0000", "21428.57", "7.033410"),
    8: ("b", "1440.0000", 3, 2, "4340.0000", "12500.00", "6510.0000", "18750.00", "7.626728"),
}


class EstimateAtSettleTests(WorkedExampleWorld):
    def test_each_month_reproduces_the_docs_table(self):
        settle_year()
        got = {}
        for points in StatementDipPoints.objects.select_related("statement__institution", "estimate"):
            e, st = points.estimate, points.statement
            inst = "a" if st.institution_id == self.w.inst_a.pk else "b"
            got[st.month.month] = (inst, str(points.points), points.cases, points.grouped, str(e.points),
                                   str(e.patient_share), str(e.forecast_points), str(e.forecast_patient_share),
                                   str(e.point_value))
            assert (e.region, e.year, e.months, e.budget) == ("410800", 2026, st.month.month, D("30900.00"))
            assert e.run_id == st.run_id
        assert got == EXPECTED
        # one estimate per run that has statements of the region: March to August
        assert sorted(DipMonthEstimate.objects.values_list("months", flat=True)) == [3, 4, 5, 6, 7, 8]
        h2 = StatementDipPoints.objects.get(statement__month=dt.date(2026, 8, 1))
        assert (h2.patient_share, h2.estimate.grouped, h2.estimate.cases) == (D("3500.00"), 5, 6)

    def test_december_with_every_list_in_is_the_final_point_value(self):
        estimate = month_estimate("410800", dt.date(2026, 12, 1), timezone.now() + dt.timedelta(minutes=1))
        final = run_dip_year("410800", 2026, final=True)
        assert estimate.forecast_points == final.total_points == D("4340.0000")
        assert estimate.point_value == final.point_value == D("10.000000")
        assert {i: p.points for i, p in estimate.institutions.items()} == {
            self.w.inst_a.pk: D("2900.0000"), self.w.inst_b.pk: D("1440.0000")}

    def test_the_cutoff_hides_what_was_recorded_after_it(self):
        before = timezone.now() - dt.timedelta(hours=1)  # before the cases were recorded
        assert month_estimate("410800", dt.date(2026, 12, 1), before).cases == 0
        # and the month's end hides the later settlements: by the end of April, c1 and c2 only
        april = month_estimate("410800", dt.date(2026, 4, 1), timezone.now() + dt.timedelta(minutes=1))
        assert (april.cases, april.points, april.point_value) == (2, D("1400.0000"), D("9.500000"))

    def test_a_statement_of_an_institution_without_cases_shows_zero_points(self):
        other = make_institution(77, level=3)
        worked_parameters(2026)
        make_settlement(other, timezone.make_aware(dt.datetime(2026, 3, 15, 10)), person=self.settlements["c1"].person,
                        policy=self.w.policy_2026, hifp="100.00", med_type="11")
        settle("2026-03", cutoff=timezone.now() + dt.timedelta(minutes=5))
        points = StatementDipPoints.objects.get(statement__institution=other)
        assert (points.points, points.cases, points.grouped, points.estimate.point_value) == (
            D("0.0000"), 0, 0, D("9.725000"))


class NoDipRegionTests(WorkedExampleWorld):
    def test_a_region_without_dip_gets_no_estimate_and_the_same_statement(self):
        elsewhere = make_institution(88, level=3, region="410100")
        worked_parameters(2026)
        make_settlement(elsewhere, timezone.make_aware(dt.datetime(2026, 3, 15, 10)),
                        person=self.settlements["c1"].person, policy=self.w.policy_2026, hifp="100.00")
        run, _ = settle("2026-03", cutoff=timezone.now() + dt.timedelta(minutes=5))
        st = MonthlyStatement.objects.get(run=run, institution=elsewhere)
        assert st.fund_amount == D("100.00")
        assert not StatementDipPoints.objects.filter(statement=st).exists()
        assert list(DipMonthEstimate.objects.filter(run=run).values_list("region", flat=True)) == ["410800"]


def test_the_forecast_rounds_half_up_at_the_documented_places():
    # July of the worked example: 4,340 points and 12,500.00 over 7 months, budget 30,900.00
    assert forecast(43_400_000, 1_250_000, 7, 3_090_000) == (74_400_000, 2_142_857, 7_033_410)
    assert forecast(0, 0, 3, 3_090_000) == (0, 0, 0)  # no points: the value is 0
