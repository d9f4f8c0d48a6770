"""Year-end clearing (年终清算) of each institution's index, exactly as ../shared/spec/fund-settlement.md:

  A = Σ monthly fund_amount of the year − the year's net audit deductions;  W = Σ monthly withheld.
  A ≤ I: S = I − A; retained = round(retain_share[r] × min(S, retain_ceiling × I)); due = A + retained;
         next base = round(I × (1 + up_factor)).
  A > I: O = A − I; shared = round(overspend_share[r] × min(O, overspend_tolerance × I)); due = I + shared;
         next base = round(I × (1 − down_factor)).
  returned = round(W × s / 100);  final = due − A + returned  (> 0 the bureau pays, < 0 the institution owes).

An institution paid item by item (outside the budget) is cleared for its deposit only: due = A, final =
returned.

The DIP line D (docs/dip.md; fund_budget.dip_line) of the pool that paid the institution's grouped cases by
items enters A and the final amount: A = Σ fund_amount − deductions + D; final = due − A + D + returned (what the
monthly statements paid is A − D). Without a final DIP run of the year there is no line and nothing changes. Figures per index come from the statements' lines of the index's fund (one clearing per institution and
fund, each with that fund's threshold: docs/benefit-layers.md §F). Reports are drafts,
recomputed by each run while their figures change; an approved report is frozen (also by a trigger).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.ledger import money_writes
from core.periods import add_months, day_in_month

from . import capitation, funds
from .common import ZERO, FundError, money, parameters_by_region, pick_parameters
from .dip_line import LINE_LABELS, dip_lines, dip_methods
from .models import (
    ClearingLine,
    ClearingReport,
    ClearingSide,
    ClearingStatus,
    Disbursement,
    DisbursementKind,
    FundYearParameters,
    IndexStatus,
    InstitutionIndex,
    MonthlyRun,
    PaymentMode,
    StatementLine,
)

PARAMETER_FIELDS = ["withholding_rate", "retain_share_a", "retain_share_aa", "retain_share_aaa", "retain_ceiling",
                    "overspend_tolerance", "overspend_share_a", "overspend_share_aa", "overspend_share_aaa",
                    "up_factor", "down_factor"]
REPORT_FIELDS = ["side", "rating", "assessment_score", "index_amount", "fund_total", "deductions", "actual",
                 "withheld", "retained", "shared", "due", "returned", "final", "next_base", "parameters"]


def snapshot(params: FundYearParameters) -> dict[str, str]:
    return {"id": params.pk, "year": params.year, "region": params.region,
            **{name: str(getattr(params, name)) for name in PARAMETER_FIELDS}}


@dataclass
class Clearing:
    side: str
    actual: Decimal
    withheld: Decimal
    index_amount: Decimal | None = None
    retained: Decimal = ZERO
    shared: Decimal = ZERO
    due: Decimal = ZERO
    returned: Decimal = ZERO
    final: Decimal = ZERO
    next_base: Decimal | None = None
    lines: list[tuple[str, str, str, Decimal | None]] = field(default_factory=list)


def compute_clearing(*, index_amount: Decimal | None, fund_total: Decimal, deductions: Decimal, withheld: Decimal,
                     score: Decimal, rating: str, params: dict, item_by_item: bool = False,
                     dip: Decimal | None = None, dip_method: str | None = None) -> Clearing:
    """The clearing arithmetic with every line shown; params is a snapshot() of the year's parameters; dip is
    the report's DIP line (None: none), labelled by dip_method (dip_line.LINE_LABELS: DIP by default)."""
    p = {k: Decimal(v) for k, v in params.items() if k in PARAMETER_FIELDS}
    lines = [
        ("fund_total", _("月度基金应付合计"), _("Σ 各月结算单基金应付"), money(fund_total)),
        ("deductions", _("年度审核扣款净额"), _("Σ 各月确认扣款 − 撤销扣款"), money(deductions)),
    ]
    if dip is None:
        actual, paid = money(fund_total - deductions), ZERO
        lines.append(("actual", _("实际发生 A"), f"{money(fund_total)} − {money(deductions)}", actual))
    else:
        actual, paid = money(fund_total - deductions + dip), money(dip)
        label, formula = LINE_LABELS[dip_method or "dip"]
        lines += [("dip", label, formula, paid),
                  ("actual", _("实际发生 A"), f"{money(fund_total)} − {money(deductions)} + ({paid})", actual)]
    lines.append(("withheld", _("质量保证金 W"), _("Σ 各月预留质量保证金"), money(withheld)))
    returned = money(withheld * score / 100)
    if item_by_item:
        result = Clearing(side=ClearingSide.ITEM_BY_ITEM, actual=actual, withheld=money(withheld), due=actual,
                          returned=returned)
        lines.append(("due", _("应付总额"), _("按项目付费：应付 = A"), actual))
    else:
        i = money(index_amount)
        lines.insert(0, ("index", _("年度控制指标 I"), "", i))
        result = Clearing(side="", actual=actual, withheld=money(withheld), index_amount=i)
        if actual <= i:
            share, ceiling = p[f"retain_share_{rating.lower()}"], money(p["retain_ceiling"] * i)
            surplus = i - actual
            base = min(surplus, ceiling)
            result.side = ClearingSide.UNDER
            result.retained = money(share * base)
            result.due = actual + result.retained
            result.next_base = money(i * (1 + p["up_factor"]))
            lines += [
                ("surplus", _("结余 S"), f"I − A = {i} − {actual}", surplus),
                ("retain_ceiling", _("留用上限"), f"{p['retain_ceiling']} × I = {p['retain_ceiling']} × {i}", ceiling),
                ("retained", _("结余留用"), f"{share}({rating}) × min({surplus}, {ceiling})", result.retained),
                ("due", _("应付总额"), f"A + {_('结余留用')} = {actual} + {result.retained}", result.due),
                ("next_base", _("下年指标基数"), f"I × (1 + {p['up_factor']})", result.next_base),
            ]
        else:
            share, tolerance = p[f"overspend_share_{rating.lower()}"], money(p["overspend_tolerance"] * i)
            overspend = actual - i
            base = min(overspend, tolerance)
            result.side = ClearingSide.OVER
            result.shared = money(share * base)
            result.due = i + result.shared
            result.next_base = money(i * (1 - p["down_factor"]))
            lines += [
                ("overspend", _("超支 O"), f"A − I = {actual} − {i}", overspend),
                ("tolerance", _("合理超支上限"), f"{p['overspend_tolerance']} × I = {p['overspend_tolerance']} × {i}",
                 tolerance),
                ("shared", _("超支分担"), f"{share}({rating}) × min({overspend}, {tolerance})", result.shared),
                ("due", _("应付总额"), f"I + {_('超支分担')} = {i} + {result.shared}", result.due),
                ("next_base", _("下年指标基数"), f"I × (1 − {p['down_factor']})", result.next_base),
            ]
    result.returned = returned
    result.final = result.due - actual + paid + returned
    if dip is None:
        final_formula = f"{_('应付总额')} − A + {_('返还保证金')} = {result.due} − {actual} + {returned}"
    else:
        final_formula = (f"{_('应付总额')} − A + D + {_('返还保证金')} = {result.due} − {actual} + ({paid}) + "
                         f"{returned}")
    lines += [
        ("returned", _("返还保证金"), f"W × s / 100 = {money(withheld)} × {score} / 100", returned),
        ("final", _("清算额"), final_formula, result.final),
    ]
    result.lines = lines
    return result


# --- the yearly run ----------------------------------------------------------------------------------------


def year_totals(year: int) -> dict[tuple[int, str], dict[str, Decimal]]:
    """(institution, fund) → Σ amount, withheld, deductions of the year's current statement lines (one SQL
    query; a reopened month counts once, with its new statements)."""
    rows = (StatementLine.objects.current().filter(statement__month__gte=dt.date(year, 1, 1),
                                                   statement__month__lte=dt.date(year, 12, 1))
            .values("statement__institution_id", "fund")
            .annotate(amount=Sum("amount"), withheld=Sum("withheld"), deductions=Sum("deductions")).order_by())
    return {(r["statement__institution_id"], r["fund"]): {k: money(r[k]) for k in ("amount", "withheld", "deductions")}
            for r in rows}


def clearable_indices(year: int):
    """Agreed indices under the budget, and item-by-item indices (deposit only)."""
    return (InstitutionIndex.objects.filter(year=year)
            .filter(status=IndexStatus.AGREED, payment_mode=PaymentMode.BUDGET)
            | InstitutionIndex.objects.filter(year=year, payment_mode=PaymentMode.ITEM_BY_ITEM)
            ).select_related("institution")


def index_totals(index: InstitutionIndex, totals: dict) -> dict[str, Decimal]:
    """An index's year: its fund's statement lines, with those of its predecessor or successors across the split
    (funds.reads): a merged index of a year stated partly after the split reads the split lines too."""
    rows = [totals[(index.institution_id, f)] for f in funds.reads(index.fund) if (index.institution_id, f) in totals]
    return {k: money(sum((r[k] for r in rows), ZERO)) for k in ("amount", "withheld", "deductions")}


def _figures(index: InstitutionIndex, totals: dict, params: FundYearParameters,
             dip: dict | None = None, methods: dict | None = None) -> tuple[dict, Clearing]:
    """dip: dip_line.dip_lines of the year ((institution, pool fund) → the DIP line); methods: dip_line.dip_methods
    (institution → the line's payment method)."""
    t = index_totals(index, totals)
    snap = snapshot(params)
    item_by_item = index.payment_mode == PaymentMode.ITEM_BY_ITEM
    result = compute_clearing(index_amount=None if item_by_item else index.agreed_amount, fund_total=t["amount"],
                              deductions=t["deductions"], withheld=t["withheld"], score=index.assessment_score,
                              rating=index.rating, params=snap, item_by_item=item_by_item,
                              dip=(dip or {}).get((index.institution_id, index.fund)),
                              dip_method=(methods or {}).get(index.institution_id))
    figures = {"side": result.side, "rating": index.rating, "assessment_score": index.assessment_score,
               "index_amount": result.index_amount, "fund_total": t["amount"], "deductions": t["deductions"],
               "actual": result.actual, "withheld": result.withheld, "retained": result.retained,
               "shared": result.shared, "due": result.due, "returned": result.returned, "final": result.final,
               "next_base": result.next_base, "parameters": snap}
    return figures, result


def _line_rows(report_id: int, result: Clearing) -> list[ClearingLine]:
    return [ClearingLine(report_id=report_id, seq=n, key=key, label=str(label)[:100], formula=str(formula)[:300],
                         amount=amount) for n, (key, label, formula, amount) in enumerate(result.lines, start=1)]


def _write_lines(report: ClearingReport, result: Clearing) -> None:
    ClearingLine.objects.filter(report=report).delete()
    ClearingLine.objects.bulk_create(_line_rows(report.pk, result))


def _user(user):
    return user if getattr(user, "is_authenticated", False) else None


def clear_year(year: int, *, user=None) -> dict[str, int]:
    """Compute (or recompute) the year's clearing reports; approved ones are left alone, drafts are rewritten
    only when a figure changed. Needs December's statements."""
    if not MonthlyRun.objects.current().filter(month=dt.date(year, 12, 1)).exists():
        raise FundError(_("%(year)s 年12月尚未月度结算，不能年终清算。") % {"year": year})
    params = parameters_by_region(year)
    indices = list(clearable_indices(year))
    missing = sorted({i.institution.region or "-" for i in indices if pick_parameters(params, i.institution.region)
                      is None})
    if missing:
        raise FundError(_("%(year)s 年缺少统筹区 %(regions)s 的年度结算参数。") % {
            "year": year, "regions": ", ".join(missing)})
    totals = year_totals(year)
    dip = dip_lines(year, [i.institution.region for i in indices])
    methods = dip_methods(year, [i.institution.region for i in indices])
    existing = {r.index_id: r for r in ClearingReport.objects.filter(year=year)}
    counts = {"created": 0, "updated": 0, "unchanged": 0, "approved": 0,
              "not_agreed": InstitutionIndex.objects.filter(year=year, payment_mode=PaymentMode.BUDGET)
              .exclude(status=IndexStatus.AGREED).count()}
    now, who = timezone.now(), _user(user)
    new: list[tuple[ClearingReport, Clearing]] = []
    changed: dict[int, tuple[dict, Clearing]] = {}
    for index in indices:  # one row per institution index, not per settlement
        figures, result = _figures(index, totals, pick_parameters(params, index.institution.region), dip, methods)
        report = existing.get(index.pk)
        if report is None:
            new.append((ClearingReport(index=index, year=year, institution_id=index.institution_id, fund=index.fund,
                                       computed_at=now, computed_by=who, **figures), result))
        elif report.status == ClearingStatus.APPROVED:
            counts["approved"] += 1
        elif any(getattr(report, k) != v for k, v in figures.items()):
            changed[report.pk] = (figures, result)
        else:
            counts["unchanged"] += 1
    with transaction.atomic(), money_writes(user=user):
        created = ClearingReport.objects.bulk_create([r for r, _res in new], batch_size=1000)
        lines = [line for report, (_r, result) in zip(created, new, strict=True)
                 for line in _line_rows(report.pk, result)]
        # drafts approved meanwhile are left as they are
        drafts = list(ClearingReport.objects.select_for_update().filter(pk__in=list(changed),
                                                                        status=ClearingStatus.DRAFT))
        for report in drafts:
            figures, result = changed[report.pk]
            for name, value in figures.items():
                setattr(report, name, value)
            report.computed_at, report.computed_by = now, who
            lines += _line_rows(report.pk, result)
        ClearingReport.objects.bulk_update(drafts, [*REPORT_FIELDS, "computed_at", "computed_by"], batch_size=1000)
        ClearingLine.objects.filter(report_id__in=[r.pk for r in drafts]).delete()
        ClearingLine.objects.bulk_create(lines, batch_size=5000)
    counts["created"], counts["updated"] = len(created), len(drafts)
    counts["approved"] += len(changed) - len(drafts)
    # DIP lines with no index of their institution and pool fund this year: nothing carries them (docs/dip.md)
    counts["dip_unplaced"] = len(set(dip) - {(i.institution_id, i.fund) for i in indices})
    counts.update({f"capitation_{k}": v for k, v in capitation.reconcile_capitation(year).items()})
    return counts


def recompute_clearing(report: ClearingReport, *, user=None) -> ClearingReport:
    """Recompute one draft report; an approved report is frozen."""
    report = ClearingReport.objects.select_related("index__institution").get(pk=report.pk)
    if report.status == ClearingStatus.APPROVED:
        raise FundError(_("清算报告已审批，不能重新计算。"))
    params = pick_parameters(parameters_by_region(report.year), report.index.institution.region)
    if params is None:
        raise FundError(_("%(year)s 年缺少年度结算参数。") % {"year": report.year})
    regions = [report.index.institution.region]
    figures, result = _figures(report.index, year_totals(report.year), params, dip_lines(report.year, regions),
                               dip_methods(report.year, regions))
    with transaction.atomic(), money_writes(user=user):
        if not ClearingReport.objects.filter(pk=report.pk, status=ClearingStatus.DRAFT).update(
                computed_at=timezone.now(), computed_by=_user(user), **figures):
            raise FundError(_("清算报告已审批，不能重新计算。"))
        _write_lines(report, result)
    report.refresh_from_db()
    return report


def approve_clearing(report: ClearingReport, *, user) -> ClearingReport:
    """Approve a draft (who and when are recorded) and schedule its final amount: a payment by the payment
    day of the next month, or, when negative, an amount the next monthly statement deducts."""
    now = timezone.now()
    with transaction.atomic(), money_writes(user=user):
        if not ClearingReport.objects.filter(pk=report.pk, status=ClearingStatus.DRAFT).update(
                status=ClearingStatus.APPROVED, approved_at=now, approved_by=_user(user)):
            raise FundError(_("清算报告已审批。"))
        report = ClearingReport.objects.select_related("institution").get(pk=report.pk)
        if report.final != 0:
            params = pick_parameters(parameters_by_region(report.year), report.institution.region)
            day = params.payment_day if params else 15
            Disbursement.objects.create(institution_id=report.institution_id, kind=DisbursementKind.CLEARING,
                                        clearing_report=report, amount=report.final,
                                        due_date=day_in_month(add_months(timezone.localdate().replace(day=1), 1), day))
    return report
