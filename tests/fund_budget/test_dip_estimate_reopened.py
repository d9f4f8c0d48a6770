"""A reopened month and the DIP estimate (docs/dip.md): the August statement is reopened after H2 corrected c6's
list (J18 未入组 → E11 group B, 540 points); the month's new run stores its own estimate with the corrected list,
the superseded statement keeps the estimate it was issued with, and the current statements read the new one."""
import datetime as dt
from decimal import Decimal

from django.utils import timezone

from claims.permissions import SUPERVISOR
from claims.roles import ensure_roles
from fund_budget.models import DipMonthEstimate, MonthlyRun, MonthlyStatement, StatementDipPoints
from fund_budget.reopening import approve_reopening, request_reopening
from fund_budget.selectors import statement_parts
from tests.casemix.helpers import good_list
from tests.casemix.worked_world import WorkedExampleWorld, settle_year
from tests.factories import UserFactory

from .conftest import settle

D = Decimal
AUGUST = dt.date(2026, 8, 1)


class ReopenedMonthTests(WorkedExampleWorld):
    def test_the_new_run_has_its_own_estimate_and_the_old_statement_keeps_its(self):
        settle_year()
        first = MonthlyStatement.objects.current().get(month=AUGUST, institution=self.w.inst_b)
        body = good_list(diseinfo=[{"diag_code": "E11.900", "diag_name": "2型糖尿病", "maindiag_flag": "1"}],
                         oprninfo=[])
        assert self.other_client.post("/api/v1/settlements/c6/setl-list/", body, format="json").status_code == 201
        # the year's later months were settled by settle_year: reopen them from December back to August
        ensure_roles()
        chief = UserFactory(username="chief", roles=[SUPERVISOR])
        deputy = UserFactory(username="deputy", roles=[SUPERVISOR])
        for month in range(12, 7, -1):
            run = MonthlyRun.objects.current().get(month=dt.date(2026, month, 1))
            approve_reopening(request_reopening(run, "c6 的结算清单已更正", chief), deputy)
        run, created = settle("2026-08", cutoff=timezone.now() + dt.timedelta(hours=1))
        assert created and run.sequence == 2
        new = MonthlyStatement.objects.current().get(month=AUGUST, institution=self.w.inst_b)
        assert new.run == run and new.pk != first.pk
        # H2: 1,440 + 540; the region: 4,880 points, 13,500 patients' share; F = 4,880 × 12 ÷ 8 = 7,320,
        # FS = 20,250.00, v = (30,900 + 20,250) ÷ 7,320 = 6.987705 (half up from 6.98770491…)
        points = statement_parts(new)["dip"]
        assert (points.points, points.cases, points.grouped) == (D("1980.0000"), 3, 3)
        e = points.estimate
        assert (e.points, e.patient_share, e.forecast_points, e.forecast_patient_share, e.point_value) == (
            D("4880.0000"), D("13500.00"), D("7320.0000"), D("20250.00"), D("6.987705"))
        # the superseded statement keeps what it was issued with
        old = statement_parts(first)["dip"]
        assert (old.points, old.grouped, old.estimate.point_value) == (D("1440.0000"), 2, D("7.626728"))
        assert DipMonthEstimate.objects.filter(run__month=AUGUST).count() == 2
        assert StatementDipPoints.objects.filter(statement__in=MonthlyStatement.objects.current()
                                                 .filter(month=AUGUST)).get() == points
