"""Queries of DIP: the table and parameters in force, a year's cases with their lists as the engine's frames,
and what the runs stored."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from claims.models import Settlement, SettlementKind, SettlementStatus
from core.periods import year_bounds
from policy_rules.engine.dip import LEVELS, POINT_SCALE, DipParams
from policy_rules.engine.money import FEN, RATIO_SCALE

from .lists import INPATIENT_MED_TYPES
from .models import (
    DipCaseResult,
    DipGroup,
    DipInstitutionResult,
    DipRun,
    DipYearParameters,
    GroupingTable,
    ListDiagnosis,
    ListOperation,
    SettlementList,
    TableKind,
)

CASE_COLUMNS = ["case_id", "institution", "level", "main_diag", "main_oprn", "medfee_fen", "fund_fen",
                "psn_part_fen", "settlement_id", "list_id"]


def table_in_force(region: str, day: dt.date, kind: str = TableKind.DIP) -> GroupingTable | None:
    """The latest imported grouping table of the kind (dip or drg) of the region covering `day`."""
    return (GroupingTable.objects.filter(region=region, kind=kind, effective_from__lte=day)
            .exclude(effective_to__lt=day).order_by("-effective_from", "-pk").first())


def parameters_of(region: str, year: int) -> DipYearParameters | None:
    return DipYearParameters.objects.filter(region=region, year=year).order_by("-pk").first()


def _scaled(value, scale: int) -> int:
    return int(value * scale)


def groups_frame(table: GroupingTable) -> pd.DataFrame:
    """The table's groups as the engine's grouping frame (policy_rules/engine/dip.py)."""
    rows = [{"code": g.code, "diag": g.diag, "oprn": g.oprn, "points_e4": _scaled(g.points, POINT_SCALE),
             **{f"ref_{lv}": -1 if getattr(g, f"ref_cost_{lv}") is None else _scaled(getattr(g, f"ref_cost_{lv}"), FEN)
                for lv in LEVELS}}
            for g in DipGroup.objects.filter(table=table).order_by("code")]
    return pd.DataFrame(rows, columns=["code", "diag", "oprn", "points_e4", *(f"ref_{lv}" for lv in LEVELS)])


def engine_params(p: DipYearParameters) -> DipParams:
    coef = {lv: _scaled(getattr(p, f"coef_{lv}"), RATIO_SCALE) for lv in LEVELS if getattr(p, f"coef_{lv}") is not None}
    return DipParams(_scaled(p.low, RATIO_SCALE), _scaled(p.high, RATIO_SCALE), coef, _scaled(p.budget, FEN))


def year_settlements(region: str, year: int):
    """The region's valid inpatient settlements of the year (by settlement time)."""
    start, end = year_bounds(year)
    return Settlement.objects.filter(kind=SettlementKind.SETTLEMENT, status=SettlementStatus.SETTLED,
                                     setl_time__gte=start, setl_time__lt=end, institution__region=region,
                                     med_type__in=INPATIENT_MED_TYPES)


def year_cases(region: str, year: int) -> pd.DataFrame:
    """The year's settled inpatient cases that have a list, as the engine's case frame (with each case's
    settlement and list ids): the main diagnosis and main operation of each settlement's latest list."""
    latest: dict[int, tuple[int, int]] = {}
    for pk, settlement_id, version in (SettlementList.objects.filter(settlement__in=year_settlements(region, year))
                                       .values_list("pk", "settlement_id", "version").iterator()):
        if settlement_id not in latest or latest[settlement_id][0] < version:
            latest[settlement_id] = (version, pk)
    list_ids = [pk for _, pk in latest.values()]
    diag = dict(ListDiagnosis.objects.filter(setl_list_id__in=list_ids, maindiag_flag=True)
                .values_list("setl_list_id", "diag_code"))
    oprn = dict(ListOperation.objects.filter(setl_list_id__in=list_ids, main_oprn_flag=True)
                .values_list("setl_list_id", "oprn_oprt_code"))
    rows = []
    for s in (Settlement.objects.filter(pk__in=list(latest)).select_related("institution")
              .order_by("setl_time", "setl_id").iterator()):
        list_id = latest[s.pk][1]
        rows.append({"case_id": s.setl_id, "institution": s.institution_id, "level": s.institution.level,
                     "main_diag": diag.get(list_id, ""), "main_oprn": oprn.get(list_id, ""),
                     "medfee_fen": _scaled(s.medfee_sumamt, FEN), "fund_fen": _scaled(s.fund_pay_sumamt, FEN),
                     "psn_part_fen": _scaled(s.psn_part_amt, FEN), "settlement_id": s.pk, "list_id": list_id})
    return pd.DataFrame(rows, columns=CASE_COLUMNS)


def latest_run(region: str, year: int, *, final: bool | None = None) -> DipRun | None:
    runs = DipRun.objects.filter(region=region, year=year)
    if final is not None:
        runs = runs.filter(final=final)
    return runs.order_by("-pk").first()


def run_case_results(run: DipRun):
    return (DipCaseResult.objects.filter(run=run).select_related("settlement", "institution")
            .order_by("settlement__setl_time", "settlement__setl_id"))


def run_institution_results(run: DipRun):
    return DipInstitutionResult.objects.filter(run=run).select_related("institution").order_by(
        "institution__fixmedins_code")


def institution_cases(institution, year: int):
    """The institution's cases in the latest run of its region's year (none without a run)."""
    run = latest_run(institution.region, year)
    if run is None:
        return DipCaseResult.objects.none()
    return run_case_results(run).filter(institution=institution)


def dip_clearing_lines(region: str, year: int) -> dict[int, DipInstitutionResult]:
    """The DIP line of each institution's year-end clearing: its figures in the region's latest final run
    ({institution id: result}; empty before the year's final run). The one function the clearing reads."""
    run = latest_run(region, year, final=True)
    return {} if run is None else {r.institution_id: r for r in run_institution_results(run)}
