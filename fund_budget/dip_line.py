"""The DIP line of the year-end clearing (docs/dip.md, "The DIP line in the year-end clearing").

Each institution's DIP clearing (casemix.selectors.dip_clearing_lines: the latest final run of its region's year)
goes to the report of the pool that paid its grouped cases by items: the fund paying the case's pooled amount
(funds.pool_fund: 310100 for the employee scheme, 390100 for the resident one). When an institution's grouped cases
are of both schemes the clearing is split by case: a pool's part is Σ over its cases of (points × point value −
patient's share − fund paid by items), rounded half-up to the fen, and the fen the rounding leaves over goes to
the pool with the larger part, so the parts add up to the institution's clearing exactly.

The line is labelled by the year's payment method (docs/drg.md section 3): DIP, DRG 点数法 or DRG 费率法.
"""
from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from casemix.models import PaymentMethod
from casemix.selectors import dip_clearing_lines, latest_run, run_case_results
from claims.models import Settlement

from .common import ZERO, money
from .funds import pool_fund

# method → (the clearing line's label, its formula)
LINE_LABELS = {
    PaymentMethod.DIP: (_("按病种分值付费清算 D"), _("DIP 点数 × 点值 − 个人负担 − 按项目已付基金")),
    PaymentMethod.DRG_POINTS: (_("DRG付费清算(点数法) D"), _("DRG 点数 × 点值 − 个人负担 − 按项目已付基金")),
    PaymentMethod.DRG_RATE: (_("DRG付费清算(费率法) D"), _("DRG 点数 × 费率 − 个人负担 − 按项目已付基金")),
}


def _split(result) -> dict[str, Decimal]:
    """{pool fund: its part of the institution's DIP clearing}."""
    cases = list(run_case_results(result.run).filter(institution_id=result.institution_id, points__isnull=False))
    pools = dict(Settlement.objects.filter(pk__in=[c.settlement_id for c in cases])
                 .annotate(pool=pool_fund()).values_list("pk", "pool"))
    raw: dict[str, Decimal] = {}
    for c in cases:
        pool = pools[c.settlement_id]
        raw[pool] = raw.get(pool, ZERO) + c.points * result.point_value - c.psn_part_amt - c.fund_pay_sumamt
    if len(raw) <= 1:
        return {pool: result.clearing for pool in raw}
    parts = {pool: money(amount) for pool, amount in raw.items()}
    largest = max(parts, key=lambda pool: (abs(parts[pool]), pool))
    parts[largest] += result.clearing - sum(parts.values(), ZERO)
    return parts


def dip_lines(year: int, regions) -> dict[tuple[int, str], Decimal]:
    """(institution, pool fund) → the DIP line of that report, for the institutions of these regions with a
    final DIP run of the year (none before it)."""
    out: dict[tuple[int, str], Decimal] = {}
    for region in sorted(set(regions)):
        for institution_id, result in dip_clearing_lines(region, year).items():
            for pool, amount in _split(result).items():
                out[(institution_id, pool)] = amount
    return out


def report_dip(report) -> dict | None:
    """What the clearing page shows of a report's DIP line: {"result": its institution's figures in the region's
    latest final run (points, point value, patients' share, DIP amount, fund paid by items, clearing), "part": the
    line D of this report (the pool's part when the institution's cases are of both schemes)}; None without a
    line."""
    line = report.lines.filter(key="dip").first()
    if line is None:
        return None
    result = dip_clearing_lines(report.institution.region, report.year).get(report.institution_id)
    return None if result is None else {"result": result, "part": line.amount}


def dip_methods(year: int, regions) -> dict[int, str]:
    """institution → the payment method of its region's final run of the year (the one dip_lines reads)."""
    out: dict[int, str] = {}
    for region in sorted(set(regions)):
        run = latest_run(region, year, final=True)
        if run is not None:
            method = run.parameters.method
            out.update(dict.fromkeys(run.institution_results.values_list("institution_id", flat=True), method))
    return out
