"""The monthly estimate (casemix.estimates) groups and scores as the year-end run does: by the year's payment
method (the DRG table, DRG 费率法's fixed rate) and with the approved special cases (特病单议) paid by items out
of the budget first; with every list in, December's estimate is the final run's point value."""
import datetime as dt
from decimal import Decimal

from django.utils import timezone

from casemix.estimates import forecast, month_estimate
from casemix.services import run_dip_year

from .drg_world import RATE_PARAMS, DrgExampleWorld
from .special_world import REGION, YEAR, SpecialCaseWorld

D = Decimal


def december():
    return month_estimate(REGION, dt.date(YEAR, 12, 1), timezone.now() + dt.timedelta(minutes=1))


class SpecialCaseEstimateTests(SpecialCaseWorld):
    def test_an_approved_special_case_leaves_the_points_and_takes_its_fund_from_the_budget(self):
        self.approve(self.ask_c3())
        estimate = december()
        final = run_dip_year(REGION, YEAR, final=True)
        # docs/dip.md, "Special-case review": (30,900 − 19,000 + 6,500) ÷ 2,840
        assert estimate.point_value == final.point_value == D("6.478873")
        assert estimate.forecast_points == final.total_points == D("2840.0000")


class DrgPointsEstimateTests(DrgExampleWorld):
    def test_a_drg_year_is_estimated_from_its_drg_table(self):
        estimate = december()
        final = run_dip_year(REGION, YEAR, final=True)
        assert estimate.table.kind == "drg"
        assert estimate.point_value == final.point_value == D("162.068966")
        assert estimate.forecast_points == D("870.0000")


class DrgRateEstimateTests(DrgExampleWorld):
    PARAMS = RATE_PARAMS

    def test_under_the_fixed_rate_the_estimate_is_the_rate(self):
        assert december().point_value == D("150.000000")


def test_the_forecast_special_fund_comes_out_of_the_budget():
    # six months: 1,000 points, 2,000.00 share, 500.00 special fund → ×2; (10,000 − 1,000 + 4,000) ÷ 2,000
    assert forecast(10_000_000, 200_000, 6, 1_000_000, 50_000) == (20_000_000, 400_000, 6_500_000)
    assert forecast(10_000_000, 200_000, 6, 1_000_000) == (20_000_000, 400_000, 7_000_000)
