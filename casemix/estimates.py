"""The DIP estimate of a month (docs/dip.md, "Running points and the estimated point value"): a region's year
so far, grouped and scored by the engine exactly as the year-end run would group it today, each institution's
running points, the year's points forecast from them and the point value that forecast gives.

With m the month's number (January 1) and, over the region's grouped cases of the year so far, P the running
points and S the patients' share:
  forecast points         = round(P × 12 ÷ m, 4)
  forecast patients' share = round(S × 12 ÷ m, 2)
  estimated point value    = round((budget − forecast special fund + forecast patients' share) ÷ forecast points, 6)
                             (0 without points; the forecast special fund is round(F × 12 ÷ m, 2) of the
                             approved special cases' fund payments F so far, docs/dip.md "Special-case review")
the final point value's formula (shared/spec/dip.md section 3) over the forecast year. The year's payment method
decides the table and the grouper (casemix.scoring); under DRG 费率法 the estimate is the year's fixed rate. Nothing is stored here:
fund_budget.dip_estimate stores it with the month's statements.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal

from core.periods import month_bounds
from policy_rules.engine.dip import VALUE_SCALE, DipInputError, point_value_e6
from policy_rules.engine.money import fen_to_decimal

from . import scoring, selectors, special_selectors
from .models import DipYearParameters, GroupingTable, PaymentMethod
from .services import points_decimal, value_decimal

log = logging.getLogger(__name__)
MONTHS = 12


@dataclass(frozen=True)
class InstitutionPoints:
    cases: int  # its settled inpatient cases of the year so far that have a list
    grouped: int
    points: Decimal
    patient_share: Decimal


@dataclass(frozen=True)
class MonthEstimate:
    region: str
    year: int
    months: int
    table: GroupingTable
    parameters: DipYearParameters
    cases: int
    grouped: int
    points: Decimal
    patient_share: Decimal
    forecast_points: Decimal
    forecast_patient_share: Decimal
    point_value: Decimal
    institutions: dict[int, InstitutionPoints] = field(default_factory=dict)


def _half_up_div(num: int, den: int) -> int:
    """round(num ÷ den) half up, for num ≥ 0 and den > 0 (integers, exact)."""
    return (2 * num + den) // (2 * den)


def forecast(points_e4: int, share_fen: int, months: int, budget_fen: int,
             special_fen: int = 0) -> tuple[int, int, int]:
    """(forecast points ×10⁴, forecast patients' share in fen, estimated point value ×10⁶) from the running
    points, patients' share and special cases' fund payments of `months` months (the module's formulas)."""
    points = _half_up_div(points_e4 * MONTHS, months)
    share = _half_up_div(share_fen * MONTHS, months)
    special = _half_up_div(special_fen * MONTHS, months)
    return points, share, point_value_e6(budget_fen - special, share, points)


def month_estimate(region: str, month: dt.date, cutoff: dt.datetime) -> MonthEstimate | None:
    """The region's estimate at the end of `month` as a statement run with `cutoff` sees it: the year's settled
    inpatient cases with setl_time before the month's end, recorded before the cutoff, each with its latest list
    uploaded before the cutoff. None when the region has no grouping table in force on the year's last day or
    no parameters of the year (no DIP there), or when the engine refuses the parameters (logged: the year-end
    run refuses them too and says why)."""
    year = month.year
    parameters = selectors.parameters_of(region, year)
    if parameters is None:
        return None
    table = selectors.table_in_force(region, dt.date(year, 12, 31), scoring.table_kind(parameters))
    if table is None:
        return None
    cases = special_selectors.with_special(
        selectors.year_cases(region, year, until=month_bounds(month)[1], cutoff=cutoff), region, year)
    params = selectors.engine_params(parameters)
    try:
        result = scoring.score_year_of(parameters, table, cases)
    except DipInputError as exc:
        log.warning("DIP estimate of %s %s skipped: %s", region, f"{month:%Y-%m}", exc)
        return None
    scored = result.cases.assign(grouped=result.cases["points_e4"] >= 0)
    counts = scored.groupby("institution")["grouped"].agg(["size", "sum"])
    per = result.institutions.set_index("institution")
    institutions = {}
    for inst, row in counts.iterrows():
        points_e4 = int(per.at[inst, "points_e4"]) if inst in per.index else 0
        share_fen = int(per.at[inst, "patient_share_fen"]) if inst in per.index else 0
        institutions[int(inst)] = InstitutionPoints(int(row["size"]), int(row["sum"]), points_decimal(points_e4),
                                                    fen_to_decimal(share_fen))
    points_e4 = int(per["points_e4"].sum()) if len(per) else 0
    share_fen = int(per["patient_share_fen"].sum()) if len(per) else 0
    special_fen = int(per["special_fund_fen"].sum()) if len(per) else 0
    f_points, f_share, value = forecast(points_e4, share_fen, month.month, params.budget_fen, special_fen)
    if parameters.method == PaymentMethod.DRG_RATE:
        value = int(parameters.rate * VALUE_SCALE)
    return MonthEstimate(
        region=region, year=year, months=month.month, table=table, parameters=parameters, cases=len(cases),
        grouped=int(scored["grouped"].sum()), points=points_decimal(points_e4), patient_share=fen_to_decimal(share_fen),
        forecast_points=points_decimal(f_points), forecast_patient_share=fen_to_decimal(f_share), point_value=value_decimal(value),
        institutions=institutions)

