"""The DIP estimate on the monthly statements (docs/dip.md, "Running points and the estimated point value").

When settle_month issues a month's statements, each region of their institutions that has DIP for the year (a
grouping table and the year's parameters) gets its estimate (casemix.estimates.month_estimate, with the run's
cutoff), and each of its institutions' statements the institution's running points (zero when it has no case
yet). Stored with the run, in its transaction; regions without DIP get nothing and their statements are
unchanged.
"""
from __future__ import annotations

from decimal import Decimal

from casemix.estimates import InstitutionPoints, month_estimate

from .models import DipMonthEstimate, MonthlyRun, StatementDipPoints

NO_CASES = InstitutionPoints(0, 0, Decimal("0.0000"), Decimal("0.00"))


def issue_estimates(run: MonthlyRun) -> list[DipMonthEstimate]:
    """Store the DIP estimate of each region of the run's statements that has DIP for the run's year."""
    statements = list(run.statements.select_related("institution").order_by("institution_id"))
    out = []
    for region in sorted({s.institution.region for s in statements}):
        estimate = month_estimate(region, run.month, run.cutoff)
        if estimate is None:
            continue
        row = DipMonthEstimate.objects.create(
            run=run, region=region, year=estimate.year, months=estimate.months, table=estimate.table,
            parameters=estimate.parameters, budget=estimate.parameters.budget, cases=estimate.cases,
            grouped=estimate.grouped, points=estimate.points, patient_share=estimate.patient_share,
            forecast_points=estimate.forecast_points, forecast_patient_share=estimate.forecast_patient_share,
            point_value=estimate.point_value)
        StatementDipPoints.objects.bulk_create([
            StatementDipPoints(statement=s, estimate=row, cases=p.cases, grouped=p.grouped, points=p.points,
                               patient_share=p.patient_share)
            for s in statements if s.institution.region == region
            for p in [estimate.institutions.get(s.institution_id, NO_CASES)]], batch_size=2000)
        out.append(row)
    return out


def statement_dip(statement) -> StatementDipPoints | None:
    """The statement's running DIP points and its region's estimate (None outside DIP)."""
    return StatementDipPoints.objects.filter(statement=statement).select_related("estimate", "estimate__table").first()
