"""Queries behind the DIP pages (casemix.views): a region's year (its run, point value and each institution's
figures) and an institution's cases with the reason of each case's kind and points."""
from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from core.display import money_text

from .drg_pages import drg_path
from .drg_selectors import drg_groups
from .models import CaseKind, DipCaseResult, DipGroup, DipRun, ListDiagnosis, ListOperation, TableKind
from .selectors import latest_run, run_case_results, run_institution_results

RATIO_PLACES = Decimal("0.0001")


def year_run(region: str, year: int) -> DipRun | None:
    """The run the pages show: the year's latest final run, else its latest run."""
    return latest_run(region, year, final=True) or latest_run(region, year)


def year_runs() -> list[DipRun]:
    """The latest run of each (region, year), newest year first: the index of the DIP pages."""
    seen, out = set(), []
    for run in DipRun.objects.select_related("table", "parameters").order_by("-year", "region", "-final", "-pk"):
        if (run.region, run.year) not in seen:
            seen.add((run.region, run.year))
            out.append(run)
    return out


def _ratio(num, den) -> Decimal | None:
    return None if not den else (Decimal(num) / Decimal(den)).quantize(RATIO_PLACES)


def year_rows(run: DipRun, institution_id: int | None = None) -> list[dict]:
    """Each institution of the run: its stored figures, its cases and grouped cases, its grouping rate, its average
    points per grouped case and that average over the region's (a CMI-like index); one institution if given."""
    counts = {r["institution_id"]: r for r in DipCaseResult.objects.filter(run=run).values("institution_id")
              .annotate(cases=Count("pk"), grouped=Count("pk", filter=Q(points__isnull=False)),
                        low=Count("pk", filter=Q(kind=CaseKind.LOW)), high=Count("pk", filter=Q(kind=CaseKind.HIGH)))
              .order_by()}
    region_avg = _ratio(run.total_points, run.grouped)
    results = run_institution_results(run)
    if institution_id is not None:
        results = results.filter(institution_id=institution_id)
    rows = []
    for r in results:
        c = counts.get(r.institution_id, {"cases": 0, "grouped": 0})
        avg = _ratio(r.points, c["grouped"])
        rows.append({"result": r, "institution": r.institution, "cases": c["cases"], "grouped": c["grouped"],
                     "grouping_rate": _ratio(c["grouped"], c["cases"]), "avg_points": avg,
                     "cmi": _ratio(avg, region_avg) if avg is not None else None,
                     "low": c.get("low", 0), "high": c.get("high", 0)})
    return rows


def _plain(value) -> str:
    """A points figure or ratio without trailing zeros (1000, 0.9, 2)."""
    if value is None:
        return "—"
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _why(case: DipCaseResult, group: DipGroup | None, diag: str, oprn: str, run: DipRun, level: int) -> str:
    params = run.parameters
    coef = getattr(params, f"coef_{level}", None)
    if group is None:
        return _("主要诊断 %(diag)s、主要手术 %(oprn)s 无匹配病种，按项目付费") % {
            "diag": diag or "—", "oprn": oprn or "—"}
    ref = getattr(group, f"ref_cost_{level}", None)
    values = {"cost": money_text(case.medfee_sumamt), "ref": money_text(ref), "points": _plain(group.points),
              "coef": _plain(coef), "low": _plain(params.low), "high": _plain(params.high)}
    if case.kind == CaseKind.SPECIAL:
        return _("特病单议已同意：按项目付费，基金支付 %(fund)s 先从DIP预算中扣除，不计点数") % {
            "fund": money_text(case.fund_pay_sumamt)}
    if case.kind == CaseKind.LOW:
        return _("费用 %(cost)s < %(low)s × 参考费用 %(ref)s：费用 ÷ 参考费用 × 分值 %(points)s × 系数 %(coef)s") % values
    if case.kind == CaseKind.HIGH:
        return _("费用 %(cost)s > %(high)s × 参考费用 %(ref)s：(费用 ÷ 参考费用 − %(high)s + 1) × 分值 %(points)s × "
                 "系数 %(coef)s") % values
    return _("病种分值 %(points)s × 系数 %(coef)s") % values


def case_rows(run: DipRun, institution, *, kind: str | None = None, setl_id: str | None = None) -> list[dict]:
    """The institution's cases of the run: case, group (code and name: a DIP group or a DRG), kind, points and
    why (for a DRG also its path: MDC, ADRG, severity, or why it stayed ungrouped); only those of a kind (low,
    high: the deviation cases) or the one settlement if asked."""
    cases = run_case_results(run).filter(institution=institution)
    if kind is not None:
        cases = cases.filter(kind=kind)
    if setl_id is not None:
        cases = cases.filter(settlement__setl_id=setl_id)
    cases = list(cases)
    drg = run.table.kind == TableKind.DRG
    groups = drg_groups(run.table) if drg else {g.code: g for g in DipGroup.objects.filter(table_id=run.table_id)}
    list_ids = [c.setl_list_id for c in cases]
    diag = dict(ListDiagnosis.objects.filter(setl_list_id__in=list_ids, maindiag_flag=True)
                .values_list("setl_list_id", "diag_code"))
    oprn = dict(ListOperation.objects.filter(setl_list_id__in=list_ids, main_oprn_flag=True)
                .values_list("setl_list_id", "oprn_oprt_code"))
    rows = []
    for c in cases:
        group = groups.get(c.group_code) if c.group_code else None
        d, o = diag.get(c.setl_list_id, ""), oprn.get(c.setl_list_id, "")
        why = _why(c, group, d, o, run, institution.level)
        if drg:
            why = drg_path(c, group, d, o) if group is None else f"{drg_path(c, group, d, o)}；{why}"
        rows.append({"case": c, "group": group, "diag": d, "oprn": o, "kind": CaseKind(c.kind).label, "why": why})
    return rows


def case_list(setl_list) -> dict:
    """The uploaded list a case was grouped with: its header, diagnoses and operations in their order."""
    return {"list": setl_list, "diagnoses": list(ListDiagnosis.objects.filter(setl_list=setl_list).order_by("seq")),
            "operations": list(ListOperation.objects.filter(setl_list=setl_list).order_by("seq"))}
