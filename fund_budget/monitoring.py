"""Fund monitoring (基金运行监测), each fund on its own (docs/benefit-layers.md §F): spending per fund and month
against the fund's budget pace (budget / 12 a month, cumulated), the linear projection to year end, the months of
budget left, and early warnings for the fund and for the institutions above their index of that fund.

Spending of a month is what the fund owes for it: the issued statements' fund lines (so per-bed-day and
per-disease visits count at their standard and capitation-covered visits not at all), and for the months
after the last statement run the settlements themselves (event time, reversals negative, shared out by
funds.fund_amounts), so the page is current between statements. A fund counts its own lines and, across the
split of issue 17, those funds.reads() names. SQL groups by month and institution; pandas does the rest.
  pace(t)       = budget × t, t the elapsed share of the year (days elapsed / days in the year);
  projection    = spending to date / t;
  months left   = (budget − spending to date) / (spending to date / (12 t));
  fund warning  when spending to date > pace × (1 + warning_excess);
  institution warning when its spending to date > its agreed index × t × (1 + warning_excess).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
from django.db.models import Q, Sum
from django.db.models.functions import ExtractMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.models import Settlement
from core import charts
from core.periods import month_bounds, year_bounds
from insurance.models import Institution

from . import funds
from .common import ZERO, decimal_sum, money, parameters_for
from .models import (
    CURRENT_FUNDS,
    Fund,
    FundBudget,
    IndexStatus,
    InstitutionIndex,
    MonthlyRun,
    PaymentMode,
    StatementLine,
)

FUNDS = list(Fund.values)  # every code a line may carry: the current funds, then those before the split
DEFAULT_SHOWN = CURRENT_FUNDS[0]  # the page's one fund before any has a budget or spending
INSTITUTION_WARNINGS_SHOWN = 50


def elapsed_share(year: int, today: dt.date) -> Decimal:
    if year < today.year:
        return Decimal(1)
    if year > today.year:
        return Decimal(0)
    days = (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days
    return Decimal((today - dt.date(year, 1, 1)).days + 1) / Decimal(days)


def spending_frame(year: int, region: str | None) -> pd.DataFrame:
    """(month 1–12, institution_id) → spending of each fund code: the issued statements' fund lines for the months
    already stated, the settlements themselves (reversals negative, by fund) after the last statement run."""
    start, end = year_bounds(year)
    last = (MonthlyRun.objects.current().filter(month__gte=dt.date(year, 1, 1), month__lte=dt.date(year, 12, 1))
            .order_by("-month").first())
    frames = []
    live = Q(setl_time__gte=start, setl_time__lt=end)
    if last is not None:
        lines = StatementLine.objects.current().filter(statement__month__gte=dt.date(year, 1, 1),
                                                       statement__month__lte=last.month)
        if region:
            lines = lines.filter(statement__institution__region=region)
        rows = (lines.values("statement__month", "statement__institution_id", "fund")
                .annotate(total=Sum("amount")).order_by())
        long = pd.DataFrame(list(rows), columns=["statement__month", "statement__institution_id", "fund", "total"])
        if not long.empty:
            long["month"] = long["statement__month"].map(lambda d: d.month)
            long = long.rename(columns={"statement__institution_id": "institution_id"})
            for f in FUNDS:
                long[f] = long["total"].where(long["fund"] == f, ZERO)
            frames.append(long[["month", "institution_id", *FUNDS]])
        stated_end = month_bounds(last.month)[1]
        # after the last run, and what was recorded too late for it
        live = Q(setl_time__gte=stated_end, setl_time__lt=end) | Q(
            created_at__gte=last.cutoff, setl_time__gte=start, setl_time__lt=stated_end)
    qs = Settlement.objects.filter(live)
    if region:
        qs = qs.filter(institution__region=region)
    rows = (qs.annotate(month=ExtractMonth("setl_time")).values("month", "institution_id")
            .annotate(**funds.fund_amounts()).order_by())
    live = pd.DataFrame(list(rows), columns=["month", "institution_id", *map(funds.key, CURRENT_FUNDS)])
    frames.append(live.rename(columns={funds.key(f): f for f in CURRENT_FUNDS}).reindex(
        columns=["month", "institution_id", *FUNDS]))
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    frame[FUNDS] = frame[FUNDS].map(lambda v: ZERO if v is None or v != v else v)  # None or NaN
    return decimal_sum(frame, ["month", "institution_id"], FUNDS)


def _chart(budget: Decimal, cumulative: list[Decimal], current_month: int, projection: Decimal | None) -> dict:
    """The ECharts spec (core.charts) of the page's chart, by month's end: the budget's pace (budget × k / 12),
    the actual cumulative spending up to the current month, and the linear projection from it to year end
    (projection × k / 12, the line through the spending to date)."""
    months = range(1, 13)
    actual = [cumulative[k - 1] if k <= len(cumulative) else None for k in months]
    proj = [money(projection * k / 12) if projection is not None and current_month and k >= current_month else None
            for k in months]
    return charts.chart(
        "line", title=_("累计支出与预算进度"), categories=[_("Month %(m)d") % {"m": k} for k in months],
        x_name=_("月份"), y_name=_("Amount (yuan)"), series_list=[
            charts.series(_("预算进度(预算/12 累计)"), [money(budget * k / 12) for k in months]),
            charts.series(_("实际累计支出"), actual),
            charts.series(_("线性预测至年末"), proj, style="dashed"),
        ])


def _budgets(year: int, region: str | None) -> dict[str, Decimal]:
    rows = FundBudget.objects.filter(year=year)
    if region:
        rows = rows.filter(region=region)
    totals = dict(rows.values("fund").annotate(t=Sum("amount")).values_list("fund", "t").order_by())
    return {f: money(totals.get(f)) for f in FUNDS}


def _spent(frame: pd.DataFrame, fund: str, by: list[str]) -> pd.DataFrame:
    """Σ of the fund's spending (its own code and those funds.reads names) grouped by `by`, as column "spent"."""
    codes = funds.reads(fund)
    out = decimal_sum(frame, by, codes)
    out["spent"] = [sum(row, ZERO) for row in zip(*(out[c] for c in codes), strict=True)] if len(out) else []
    return out[[*by, "spent"]]


def shown_funds(year: int, region: str | None, frame: pd.DataFrame | None = None) -> list[str]:
    """The funds the page shows, in the order of Fund: those with a budget or spending in the year (the employee
    pool when none has)."""
    frame = spending_frame(year, region) if frame is None else frame
    budgets = _budgets(year, region)
    spent = {f for f in FUNDS if not frame.empty and any(v != 0 for v in frame[f])}
    return [f for f in FUNDS if budgets[f] > 0 or f in spent] or [DEFAULT_SHOWN]


def overview(year: int, region: str | None = None, today: dt.date | None = None,
             only: str | None = None) -> dict:
    """The page: one panel per fund shown (or only the given one), and the monthly spending of each."""
    frame = spending_frame(year, region)
    shown = [only] if only else shown_funds(year, region, frame)
    panels = [dashboard(year, f, region, today, frame=frame) for f in shown]
    table = [{"month": m, "funds": [p["by_month"][m - 1] for p in panels]} for m in range(1, 13)]
    return {"year": year, "region": region or "", "panels": panels, "table": table,
            "fund_labels": [p["fund_label"] for p in panels]}


def dashboard(year: int, fund: str, region: str | None = None, today: dt.date | None = None,
              frame: pd.DataFrame | None = None) -> dict:
    """One fund's figures: its budget, spending to date against the pace, projection, months left, warnings."""
    today = today or timezone.localdate()
    params = parameters_for(year, region or "")
    excess = params.warning_excess if params else Decimal("0.10")
    budget_by_fund = _budgets(year, region)
    budget = budget_by_fund[fund]
    share = elapsed_share(year, today)
    months_elapsed = share * 12
    frame = spending_frame(year, region) if frame is None else frame

    by_month = _spent(frame, fund, ["month"]).set_index("month")["spent"].reindex(range(1, 13))
    by_month = [money(v) if isinstance(v, Decimal) else ZERO for v in by_month]
    current_month = 12 if share >= 1 else (today.month if year == today.year else 0)
    cumulative = [money(v) for v in pd.Series(by_month).cumsum().tolist()][:current_month]
    ytd = cumulative[-1] if cumulative else ZERO
    pace_to_date = money(budget * share)
    projection = money(ytd / share) if share > 0 else None
    monthly_rate = ytd / months_elapsed if months_elapsed > 0 else ZERO
    # Without a budget the months left would be negative nonsense: the page warns instead.
    no_budget = budget <= 0
    months_left = ((budget - ytd) / monthly_rate).quantize(Decimal("0.1")) \
        if monthly_rate > 0 and not no_budget else None
    warnings = []
    if pace_to_date > 0 and ytd > pace_to_date * (1 + excess):
        warnings.append({"fund": fund, "ytd": ytd, "pace": pace_to_date,
                         "excess": ((ytd / pace_to_date - 1) * 100).quantize(Decimal("0.1"))})
    table = [{"month": m, "spent": by_month[m - 1], "pace": money(budget * m / 12),
              "cumulative": cumulative[m - 1] if m <= len(cumulative) else None} for m in range(1, 13)]
    return {
        "year": year, "fund": fund, "fund_label": funds.label(fund), "region": region or "", "budget": budget,
        "budget_by_fund": budget_by_fund,
        "share": (share * 100).quantize(Decimal("0.1")), "ytd": ytd, "pace_to_date": pace_to_date,
        "projection": projection, "months_left": months_left, "excess": (excess * 100).quantize(Decimal("0.1")),
        "warnings": warnings, "no_budget": no_budget, "table": table, "by_month": by_month,
        "institution_warnings": institution_warnings(frame, year, fund, region, share, excess),
        "chart": _chart(budget, cumulative, current_month, projection),
    }


def institution_warnings(frame: pd.DataFrame, year: int, fund: str, region: str | None, share: Decimal,
                         excess: Decimal) -> list[dict]:
    """Institutions whose spending of the fund to date exceeds their agreed index of that fund's pace by more
    than the threshold."""
    if share <= 0 or frame.empty:
        return []
    indices = InstitutionIndex.objects.filter(year=year, fund=fund, status=IndexStatus.AGREED,
                                              payment_mode=PaymentMode.BUDGET, agreed_amount__gt=0)
    if region:
        indices = indices.filter(institution__region=region)
    index = pd.DataFrame(list(indices.values("institution_id", "agreed_amount")),
                         columns=["institution_id", "agreed_amount"])
    if index.empty:
        return []
    spent = _spent(frame, fund, ["institution_id"]).rename(columns={"spent": "ytd"})
    merged = index.merge(spent, on="institution_id", how="left")
    merged["ytd"] = merged["ytd"].where(merged["ytd"].notna(), ZERO).map(money)
    merged["pace"] = (merged["agreed_amount"] * share).map(money)
    merged = merged[merged["ytd"] > merged["pace"] * (1 + excess)].copy()
    if merged.empty:
        return []
    merged["ratio"] = [(y / p - 1) * 100 if p else Decimal(0) for y, p in zip(merged["ytd"], merged["pace"],
                                                                          strict=True)]
    merged = merged.sort_values("ratio", ascending=False, key=lambda s: s.map(float)).head(INSTITUTION_WARNINGS_SHOWN)
    names = {pk: (code, name) for pk, code, name in Institution.objects.filter(
        pk__in=list(merged["institution_id"])).values_list("pk", "fixmedins_code", "name")}
    return [{"code": names.get(r["institution_id"], ("", ""))[0], "name": names.get(r["institution_id"], ("", ""))[1],
             "index": r["agreed_amount"],
             "ytd": r["ytd"], "pace": r["pace"], "excess": Decimal(r["ratio"]).quantize(Decimal("0.1"))}
            for r in merged.to_dict("records")]
