"""The DIP line of the year-end clearing (docs/dip.md, "The DIP line in the year-end clearing").

Each institution's DIP clearing (casemix.selectors.dip_clearing_lines: the latest final run of its region's year)
goes to the report of the pool that paid its grouped cases by items: the fund paying the case's pooled amount
(funds.pool_fund: 310100 for the employee scheme, 390100 for the resident one). When an institution's grouped cases
are of both schemes the clearing is split by case: a pool's part is Σ over its cases of (points × point value −
patient's share − fund paid by items), rounded half-up to the fen, and the fen the rounding leaves over goes to
the pool with the larger part, so the parts add up to the institution's clearing exactly.
"""
from __future__ import annotations

from decimal import Decimal

from casemix.selectors import dip_clearing_lines, run_case_results
from claims.models import Settlement

from .common import ZERO, money
from .funds import pool_fund


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
