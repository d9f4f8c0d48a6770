"""The year's DIP or DRG: read the region's settled inpatient cases with their lists, group and score them with
the engine by the year's method (casemix.scoring: policy_rules/engine/dip.py or drg.py), and store the run: each case's group, kind and points, each institution's
points, point value, amount, what it was paid by items and its clearing. Runs are append-only; the latest
final run is the year's DIP line of the year-end clearing (selectors.dip_clearing_lines)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from claims.errors import ServiceError
from policy_rules.engine.dip import POINT_SCALE, VALUE_SCALE, DipInputError
from policy_rules.engine.money import fen_to_decimal

from . import scoring, selectors, special_selectors
from .drg_models import TableKind
from .models import DipCaseResult, DipInstitutionResult, DipRun

POINTS_PLACES = Decimal("0.0001")


def points_decimal(e4: int) -> Decimal:
    """The engine's points (×10⁴) as stored: 4 decimals."""
    return (Decimal(int(e4)) / POINT_SCALE).quantize(POINTS_PLACES)


def value_decimal(e6: int) -> Decimal:
    """The engine's point value (×10⁶) as stored: 6 decimals."""
    return (Decimal(int(e6)) / VALUE_SCALE).quantize(Decimal("0.000001"))


def run_dip_year(region: str, year: int, *, user=None, reason: str = "", final: bool = False) -> DipRun:
    """Group and score the region's year and store the run. final=True (the year-end clearing's run) fixes
    the groups: the lists of its cases can no longer be replaced. ServiceError without a grouping table in
    force on the year's last day (of the kind the year's method reads: DIP, or DRG for drg_points and drg_rate)
    or without the year's parameters."""
    parameters = selectors.parameters_of(region, year)
    kind = scoring.table_kind(parameters)
    table = selectors.table_in_force(region, dt.date(year, 12, 31), kind)
    errors = []
    if table is None:
        message = (_("统筹区 %(r)s %(y)s 年没有有效的DRG分组表。") if kind == TableKind.DRG
                   else _("统筹区 %(r)s %(y)s 年没有有效的DIP分组表。"))
        errors.append({"line": None, "field": "table", "code": "NO_GROUPING_TABLE",
                       "message": message % {"r": region, "y": year}})
    if parameters is None:
        errors.append({"line": None, "field": "parameters", "code": "NO_PARAMETERS",
                       "message": _("统筹区 %(r)s %(y)s 年没有DIP年度参数。") % {"r": region, "y": year}})
    if errors:
        raise ServiceError(errors)
    cases = special_selectors.with_special(selectors.year_cases(region, year), region, year)
    try:
        result = scoring.score_year_of(parameters, table, cases)
    except DipInputError as exc:
        raise ServiceError([{"line": None, "field": "parameters", "code": "INVALID_PARAMETERS",
                             "message": str(exc)}]) from exc
    scored = result.cases
    with transaction.atomic():
        run = DipRun.objects.create(
            region=region, year=year, table=table, parameters=parameters, final=final,
            point_value=value_decimal(result.point_value_e6),
            total_points=points_decimal(int(result.institutions["points_e4"].sum()) if len(result.institutions) else 0),
            cases=len(cases), grouped=int((scored["points_e4"] >= 0).sum()), reason=reason, created_by=user)
        DipCaseResult.objects.bulk_create([
            DipCaseResult(run=run, settlement_id=int(c.settlement_id), setl_list_id=int(c.list_id),
                          institution_id=int(c.institution), group_code=s.group, kind=s.kind, mdc=s.mdc,
                          adrg=s.adrg, severity=s.severity, ungrouped_reason=s.reason,
                          points=None if s.points_e4 < 0 else points_decimal(s.points_e4),
                          medfee_sumamt=fen_to_decimal(c.medfee_fen), fund_pay_sumamt=fen_to_decimal(c.fund_fen),
                          psn_part_amt=fen_to_decimal(c.psn_part_fen))
            for c, s in zip(cases.itertuples(), scored.itertuples(), strict=True)], batch_size=2000)
        value = value_decimal(result.point_value_e6)
        DipInstitutionResult.objects.bulk_create([
            DipInstitutionResult(run=run, institution_id=int(i.institution), points=points_decimal(i.points_e4),
                                 point_value=value, patient_share=fen_to_decimal(i.patient_share_fen),
                                 fund_paid_by_items=fen_to_decimal(i.fund_paid_fen), special_fund=fen_to_decimal(i.special_fund_fen),
                                 dip_amount=fen_to_decimal(i.dip_amount_fen),
                                 clearing=fen_to_decimal(i.clearing_fen))
            for i in result.institutions.itertuples()])
    return run
