"""Monthly statements (月度结算), one per institution and month, issued once and never changed.

For month m and institution i (see ../shared/spec/fund-settlement.md):
  fund_amount = Σ fund payments of the settlements made in m − Σ of the reversals made in m (a reversal's
                setl_time is its cancellation time, so cancelling an earlier month's settlement is an
                adjustment of m), with per-bed-day / per-disease visits paid at max(0, standard − psn_part)
                and capitation-covered visits left to the capitation;
  withheld    = round(fund_amount × withholding_rate);
  deductions  = audit deductions confirmed in m − deductions reversed in m;
  payable     = fund_amount − withheld − deductions (+ the capitation payment of the month);
  net payable = payable + amounts the institution still owes from earlier (negative disbursements).

Late records. A run has a cutoff (by default one hour before it starts, so that transactions still open
are not half seen). A settlement whose event time falls in an already stated month but that was recorded
after that month's cutoff is an adjustment of the next statement, so nothing is ever lost or counted
twice: run m takes the settlements with setl_time < end(m) and created_at < cutoff(m) that the previous
run did not take (setl_time ≥ end(prev) or created_at ≥ cutoff(prev)), never before the first run's month.

Months are settled in order; running a month again returns the existing run and changes nothing. Only current
runs count (MonthlyRun.objects.current()): a month reopened with four eyes (fund_budget.reopening) is settled
again as a new run of the next sequence, with the same previous run, so its window is the same month seen
with a later cutoff.
"""
from __future__ import annotations

import datetime as dt
from functools import reduce

import pandas as pd
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.models import Settlement
from core.ledger import money_writes
from core.periods import add_months, day_in_month, month_bounds
from insurance.models import Institution

from . import capitation, funds, standards
from .common import (
    ZERO,
    FundError,
    decimal_sum,
    money,
    parameters_by_region,
    pick_parameters,
    signed,
)
from .dip_estimate import issue_estimates
from .models import (
    CURRENT_FUNDS,
    AuditDeduction,
    Disbursement,
    DisbursementKind,
    DisbursementStatus,
    MonthlyRun,
    MonthlyStatement,
    PaymentMethod,
    StatementLine,
    StatementMethodLine,
)

LOCK_KEY = 604_601  # pg advisory lock serialising statement runs
FUNDS = CURRENT_FUNDS
FUND_KEYS = [funds.key(f) for f in FUNDS]
SUM_COLUMNS = ["medfee_sumamt", "fund_pay_sumamt", *FUND_KEYS]


def cutoff_lag() -> dt.timedelta:
    return dt.timedelta(minutes=settings.FUND_STATEMENT_CUTOFF_LAG_MINUTES)


def lock_months() -> None:
    """The month lock: statement runs and reopenings are serialised (PostgreSQL advisory lock)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            cursor.execute("SET LOCAL jit = off")  # JIT compilation costs more than it saves here


def settlement_window(month: dt.date, cutoff: dt.datetime, prev: MonthlyRun | None, floor: dt.date) -> Q:
    _, end = month_bounds(month)
    window = Q(setl_time__lt=end, created_at__lt=cutoff)
    if prev is None:
        return window & Q(setl_time__gte=month_bounds(month)[0])
    prev_end = month_bounds(prev.month)[1]
    return window & Q(setl_time__gte=month_bounds(floor)[0]) & (Q(setl_time__gte=prev_end)
                                                                 | Q(created_at__gte=prev.cutoff))


def event_window(field: str, month: dt.date, prev: MonthlyRun | None) -> Q:
    """Deductions are dated when recorded: those of [end(prev) or start(m), end(m))."""
    start, end = month_bounds(month)
    lower = month_bounds(prev.month)[1] if prev is not None else start
    return Q(**{f"{field}__gte": lower, f"{field}__lt": end})


def settle_month(month: dt.date, *, cutoff: dt.datetime | None = None, user=None) -> tuple[MonthlyRun, bool]:
    """Issue the month's statements; (run, created). A month already settled is returned unchanged; a
    reopened month (fund_budget.reopening) gets a new run, of the next sequence, with the same previous run."""
    month = month.replace(day=1)
    runs = MonthlyRun.objects.current()
    existing = runs.filter(month=month).first()
    if existing is not None:
        return existing, False
    cutoff = cutoff or timezone.now() - cutoff_lag()
    if cutoff < month_bounds(month)[1]:
        raise FundError(_("%(month)s 尚未结束(数据截止时间早于月末)，不能结算。") % {"month": f"{month:%Y-%m}"})
    try:
        with transaction.atomic():
            lock_months()
            existing = runs.filter(month=month).first()
            if existing is not None:
                return existing, False
            if runs.filter(month__gt=month).exists():
                raise FundError(_("已结算更晚的月份，不能再结算 %(month)s。") % {"month": f"{month:%Y-%m}"})
            prev = runs.filter(month__lt=month).order_by("-month").first()
            if prev is not None and cutoff <= prev.cutoff:
                raise FundError(_("数据截止时间必须晚于上一次结算的截止时间。"))
            floor = runs.order_by("month").values_list("month", flat=True).first() or month
            _refuse_empty_lock(month, cutoff, prev, floor)
            statements, lines, methods = compute_month(month, cutoff, prev, floor)
            sequence = (MonthlyRun.objects.filter(month=month).aggregate(n=Max("sequence"))["n"] or 0) + 1
            run = _issue(month, sequence, cutoff, prev, user, statements, lines, methods)
            issue_estimates(run)  # DIP regions: running points and the estimated point value (docs/dip.md)
    except IntegrityError:
        existing = runs.filter(month=month).first()
        if existing is None:
            raise
        return existing, False
    return run, True


def _refuse_empty_lock(month: dt.date, cutoff: dt.datetime, prev: MonthlyRun | None, floor: dt.date) -> None:
    """A run locks its month for good. A cutoff that sees none of the month's settlements while some exist,
    recorded after it (a business-dated import run 'one hour ago'), would lock the month empty and push
    every record to the next statement: refuse it. A month with no settlement at all may still be settled."""
    if Settlement.objects.filter(settlement_window(month, cutoff, prev, floor)).exists():
        return
    start, end = month_bounds(month)
    late = Settlement.objects.filter(setl_time__gte=start, setl_time__lt=end, created_at__gte=cutoff)
    if late.exists():
        raise FundError(_("%(month)s 在数据截止时间 %(cutoff)s 之前没有任何结算记录(该月的 %(count)s 条结算均在"
                          "截止时间之后入库)，结算会把该月锁定为空月。请使用晚于数据入库时间的截止时间。") % {
            "month": f"{month:%Y-%m}", "cutoff": f"{timezone.localtime(cutoff):%Y-%m-%d %H:%M}",
            "count": late.count()})


# --- computation (aggregates from SQL, arithmetic with pandas) ---------------------------------------------


def _aggregate_settlements(qs) -> pd.DataFrame:
    """Per institution: settlements and reversals counted, amounts summed with the reversals negative."""
    rows = (qs.values("institution_id").annotate(
        settled=Count("pk", filter=Q(kind="settlement")), reversed=Count("pk", filter=Q(kind="reversal")),
        **{c: Sum(signed(c)) for c in SUM_COLUMNS[:2]}, **funds.fund_amounts()).order_by())
    frame = pd.DataFrame(list(rows), columns=["institution_id", "settled", "reversed", *SUM_COLUMNS])
    frame[SUM_COLUMNS] = frame[SUM_COLUMNS].fillna(ZERO)
    return frame


def _deductions(month: dt.date, prev: MonthlyRun | None) -> pd.DataFrame:
    frames = []
    for field, column in (("confirmed_at", "confirmed"), ("reversed_at", "reversed")):
        rows = (AuditDeduction.objects.filter(event_window(field, month, prev)).values("institution_id", "fund")
                .annotate(total=Sum("amount")).order_by())
        frame = pd.DataFrame(list(rows), columns=["institution_id", "fund", "total"]).rename(columns={"total": column})
        frames.append(frame.set_index(["institution_id", "fund"]))
    out = frames[0].join(frames[1], how="outer").reset_index()
    out[["confirmed", "reversed"]] = out[["confirmed", "reversed"]].fillna(ZERO)
    return out


def _receivables() -> tuple[pd.DataFrame, dict[int, list[int]]]:
    rows = list(Disbursement.objects.filter(status=DisbursementStatus.PENDING, amount__lt=0)
                .values_list("pk", "institution_id", "amount"))
    frame = pd.DataFrame(rows, columns=["pk", "institution_id", "amount"])
    ids: dict[int, list[int]] = frame.groupby("institution_id")["pk"].apply(list).to_dict() if rows else {}
    totals = frame.groupby("institution_id", as_index=False)["amount"].sum().rename(columns={"amount": "receivable"})
    return totals, ids


def _sum(frame: pd.DataFrame, by: list[str], columns: list[str]) -> pd.DataFrame:
    return decimal_sum(frame, by, columns)


def compute_month(month: dt.date, cutoff: dt.datetime, prev: MonthlyRun | None, floor: dt.date):
    """(statements, fund lines, method lines) as data frames, one statement row per institution."""
    window = settlement_window(month, cutoff, prev, floor)
    all_rows = _aggregate_settlements(Settlement.objects.filter(window))
    covered = capitation.covered_condition(month.year)
    cov_rows = _aggregate_settlements(Settlement.objects.filter(window).filter(covered)) if covered is not None \
        else all_rows.iloc[0:0]
    negated = cov_rows.copy()
    negated[["settled", "reversed", *SUM_COLUMNS]] = -negated[["settled", "reversed", *SUM_COLUMNS]]
    ffs_rows = pd.concat([all_rows, negated], ignore_index=True)  # summed below: all − covered

    std = standards.standards_frame(list(range(month.year - capitation.COVERED_YEARS_BACK, month.year + 1)))
    med_types = set(std["med_type"])
    covered_std = capitation.covered_condition(month.year, med_types) if med_types else None
    candidates_qs = Settlement.objects.filter(window)
    if covered_std is not None:
        candidates_qs = candidates_qs.exclude(covered_std)
    matched = standards.match_standards(standards.candidate_rows(candidates_qs, std), std)
    by_method = _sum(matched, ["institution_id", "method"], ["sign", "fund", "claim", "gain_loss"])
    gains = _sum(matched, ["institution_id", "pool"], ["gain_loss"])
    deductions = _deductions(month, prev)
    caps = capitation.monthly_amounts(month)
    receivable, receivable_ids = _receivables()

    ids = sorted(set(all_rows["institution_id"]) | set(deductions["institution_id"]) | set(caps["institution_id"])
                 | set(receivable["institution_id"]))
    if not ids:
        return pd.DataFrame(), pd.DataFrame(), pd.DataFrame()
    st = pd.DataFrame(list(Institution.objects.filter(pk__in=ids).values("id", "region")))
    st = st.rename(columns={"id": "institution_id"}).set_index("institution_id").sort_index()
    params = parameters_by_region(month.year)
    chosen = {region: pick_parameters(params, region) for region in set(st["region"])}
    missing = sorted(r or "-" for r, p in chosen.items() if p is None)
    if missing:
        raise FundError(_("%(year)s 年缺少统筹区 %(regions)s 的年度结算参数。") % {
            "year": month.year, "regions": ", ".join(missing)})
    st["rate"] = st["region"].map(lambda r: chosen[r].withholding_rate)
    st["payment_day"] = st["region"].map(lambda r: chosen[r].payment_day)

    def put(frame: pd.DataFrame, columns: dict[str, str], default=ZERO):
        data = frame.set_index("institution_id")[list(columns)].rename(columns=columns) if not frame.empty else None
        for target in columns.values():
            st[target] = data[target].reindex(st.index) if data is not None else None
            st[target] = st[target].where(st[target].notna(), default)

    put(all_rows, {"settled": "visit_count", "reversed": "reversal_count", "medfee_sumamt": "medfee_amount"}, 0)
    put(_sum(ffs_rows, ["institution_id"], ["settled", "reversed", *SUM_COLUMNS]), {
        "settled": "ffs_settled", "reversed": "ffs_reversed", "fund_pay_sumamt": "ffs_fund_amount",
        **{funds.key(f): f"ffs_{f}" for f in FUNDS}}, 0)
    put(_sum(cov_rows, ["institution_id"], ["settled", "reversed", "fund_pay_sumamt"]), {
        "settled": "cov_settled", "reversed": "cov_reversed", "fund_pay_sumamt": "cov_fund"}, 0)
    put(_sum(by_method, ["institution_id"], ["sign", "fund", "gain_loss"]),
        {"sign": "std_visits", "fund": "std_fund", "gain_loss": "standard_gain_loss"}, 0)
    put(_sum(deductions, ["institution_id"], ["confirmed", "reversed"]),
        {"confirmed": "deductions_confirmed", "reversed": "deductions_reversed"}, 0)
    put(caps, {"capitation": "capitation_amount", "chronic": "chronic_capitation_amount"}, 0)
    put(receivable, {"receivable": "offset_amount"}, 0)
    money_columns = ["medfee_amount", "ffs_fund_amount", "cov_fund", "std_fund", "standard_gain_loss",
                     "deductions_confirmed", "deductions_reversed", "capitation_amount", "chronic_capitation_amount",
                     "offset_amount",
                     *[f"ffs_{f}" for f in FUNDS]]
    st[money_columns] = st[money_columns].map(money)
    st["fund_amount"] = st["ffs_fund_amount"] + st["standard_gain_loss"]
    st["withheld"] = (st["fund_amount"] * st["rate"]).map(money)
    st["deductions"] = st["deductions_confirmed"] - st["deductions_reversed"]
    st["payable"] = st["fund_amount"] - st["withheld"] - st["deductions"] + st["capitation_amount"]
    st["net_payable"] = st["payable"] + st["offset_amount"]
    due_month = add_months(month, 1)
    st["payment_due"] = st["payment_day"].map(lambda d: day_in_month(due_month, int(d)))
    st["receivable_ids"] = [receivable_ids.get(i, []) for i in st.index]
    return st.reset_index(), _fund_lines(st, deductions, gains), _method_lines(st, by_method)


def _fund_lines(st: pd.DataFrame, deductions: pd.DataFrame, gains: pd.DataFrame) -> pd.DataFrame:
    """Per institution and fund: amount (a standard's gain or loss on the fund of the settlement's pooled amount),
    withheld (rounded per line, the fen difference to the statement's withheld put on the largest line, so the
    lines add up), net deductions (a deduction of a fund before the split keeps its own line)."""
    long = st[[f"ffs_{f}" for f in FUNDS]].copy()
    long.columns = FUNDS
    long = long.stack().rename("amount").reset_index().rename(columns={"level_1": "fund"})
    long = long.rename(columns={long.columns[0]: "institution_id"})
    parts = [long]
    if not gains.empty:
        parts.append(gains.rename(columns={"pool": "fund", "gain_loss": "amount"})[["institution_id", "fund", "amount"]])
    if not deductions.empty:
        net = deductions.assign(deductions=deductions["confirmed"] - deductions["reversed"])
        parts.append(net[["institution_id", "fund", "deductions"]])
    long = pd.concat(parts, ignore_index=True)
    long = long.assign(**{c: long[c].where(long[c].notna(), ZERO) if c in long else ZERO
                          for c in ("amount", "deductions")})
    long = _sum(long, ["institution_id", "fund"], ["amount", "deductions"])
    long[["amount", "deductions"]] = long[["amount", "deductions"]].map(money)
    long = long[(long["amount"] != 0) | (long["deductions"] != 0)].reset_index(drop=True)
    long["withheld"] = (long["amount"] * st["rate"].reindex(long["institution_id"]).to_numpy()).map(money)
    if not long.empty:
        diff = st["withheld"] - _sum(long, ["institution_id"], ["withheld"]).set_index("institution_id")[
            "withheld"].reindex(st.index).fillna(ZERO)
        largest = long.assign(size=long["amount"].map(lambda a: abs(float(a)))).groupby("institution_id")[
            "size"].idxmax()
        long.loc[largest.to_numpy(), "withheld"] += diff.reindex(largest.index).to_numpy()
    return long


def _method_lines(st: pd.DataFrame, by_method: pd.DataFrame) -> pd.DataFrame:
    frames = []
    ffs_visits = st["ffs_settled"] - st["ffs_reversed"] - st["std_visits"]
    ffs_fund = st["ffs_fund_amount"] - st["std_fund"]
    frames.append(pd.DataFrame({"institution_id": st.index, "method": PaymentMethod.FEE_FOR_SERVICE,
                                "visits": ffs_visits.to_numpy(), "ffs_fund_amount": ffs_fund.to_numpy(),
                                "claim_amount": ffs_fund.to_numpy(), "gain_loss": ZERO}))
    if not by_method.empty:
        frames.append(pd.DataFrame({
            "institution_id": by_method["institution_id"], "method": by_method["method"],
            "visits": by_method["sign"], "ffs_fund_amount": by_method["fund"].map(money),
            "claim_amount": by_method["claim"].map(money), "gain_loss": by_method["gain_loss"].map(money)}))
    cov_visits = st["cov_settled"] - st["cov_reversed"]
    frames.append(pd.DataFrame({
        "institution_id": st.index, "method": PaymentMethod.CAPITATION, "visits": cov_visits.to_numpy(),
        "ffs_fund_amount": st["cov_fund"].to_numpy(), "claim_amount": st["capitation_amount"].to_numpy(),
        "gain_loss": (st["capitation_amount"] - st["cov_fund"]).to_numpy()}))
    out = pd.concat(frames, ignore_index=True)
    keep = (out["visits"] != 0) | (out["ffs_fund_amount"] != 0) | (out["claim_amount"] != 0)
    return out[keep].reset_index(drop=True)


# --- issuing ----------------------------------------------------------------------------------------------


STATEMENT_FIELDS = ["visit_count", "reversal_count", "medfee_amount", "ffs_fund_amount", "standard_gain_loss",
                    "fund_amount", "withheld", "deductions_confirmed", "deductions_reversed", "deductions",
                    "capitation_amount", "chronic_capitation_amount", "payable", "offset_amount", "net_payable", "payment_due"]


def _issue(month, sequence, cutoff, prev, user, st: pd.DataFrame, lines: pd.DataFrame,
           methods: pd.DataFrame) -> MonthlyRun:
    run = MonthlyRun.objects.create(
        month=month, sequence=sequence, cutoff=cutoff, previous=prev, created_by=user if getattr(user, "is_authenticated", False)
        else None, statement_count=len(st),
        fund_total=money(reduce(lambda a, b: a + b, st["fund_amount"], ZERO)) if len(st) else ZERO,
        payable_total=money(reduce(lambda a, b: a + b, st["net_payable"], ZERO)) if len(st) else ZERO)
    if st.empty:
        return run
    now = timezone.now()
    records = st[["institution_id", "rate", *STATEMENT_FIELDS]].to_dict("records")
    created = MonthlyStatement.objects.bulk_create([
        MonthlyStatement(run=run, month=month, issued_at=now, institution_id=int(r.pop("institution_id")),
                         withholding_rate=r.pop("rate"), **r) for r in records], batch_size=2000)
    sid = {s.institution_id: s.pk for s in created}
    StatementLine.objects.bulk_create([
        StatementLine(statement_id=sid[int(r["institution_id"])], fund=r["fund"], amount=r["amount"],
                      withheld=r["withheld"], deductions=r["deductions"])
        for r in lines.to_dict("records")], batch_size=5000)
    StatementMethodLine.objects.bulk_create([
        StatementMethodLine(statement_id=sid[int(r["institution_id"])], method=r["method"], visits=int(r["visits"]),
                            ffs_fund_amount=r["ffs_fund_amount"], claim_amount=r["claim_amount"],
                            gain_loss=r["gain_loss"])
        for r in methods.to_dict("records")], batch_size=5000)
    Disbursement.objects.bulk_create([
        Disbursement(institution_id=s.institution_id, kind=DisbursementKind.MONTHLY, statement_id=s.pk,
                     amount=s.net_payable, due_date=s.payment_due)
        for s in created if s.net_payable != 0], batch_size=2000)
    with money_writes(user=user):
        for institution_id, pks in zip(st["institution_id"], st["receivable_ids"], strict=True):
            if pks:
                Disbursement.objects.filter(pk__in=pks, status=DisbursementStatus.PENDING).update(
                    status=DisbursementStatus.OFFSET, offset_statement_id=sid[int(institution_id)])
    return run


def pay_disbursements(disbursements, *, user) -> int:
    """Mark pending payments (amount ≥ 0) paid now, by user; how many. The one way a disbursement is paid."""
    with money_writes(user=user):
        return Disbursement.objects.filter(pk__in=[d.pk for d in disbursements], status=DisbursementStatus.PENDING,
                                           amount__gte=0).update(
            status=DisbursementStatus.PAID, paid_at=timezone.now(),
            paid_by=user if getattr(user, "is_authenticated", False) else None)


def due_month(today: dt.date) -> dt.date | None:
    """The month the scheduled job should settle today: the previous month, once its statement day (the
    earliest among the year's parameter rows, default 10) has come and it has no current run (never settled, or
reopened since)."""
    month = add_months(today.replace(day=1), -1)
    if MonthlyRun.objects.current().filter(month=month).exists():
        return None
    rows = parameters_by_region(month.year)
    day = min((p.statement_day for p in rows.values()), default=10)
    return month if today.day >= day else None
