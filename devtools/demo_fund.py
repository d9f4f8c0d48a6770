"""The fund side of the demo city: a past year and the current one with budgets, agreed indices, monthly
statements for every past month and the past year cleared, so every fund page has figures on first open.

seed_demo --history writes one day of fee uploads per month from January of the past year to the month
before the demo day (HISTORY_VISITS visits each, beside the demo day's own); seed_demo_fund then runs the
daily job of the last of those days (which settles them all), writes the year parameters, budgets and indices, issues the statements through
fund_budget.monthly.settle_month (cutoffs after the data, in order) and drafts the past year's clearing
through fund_budget.clearing.clear_year. Deterministic: the amounts derive from the settled figures and
institution codes only. Indices and budgets are seed data written directly (there are no institution
logins in the demo to take the institution's steps of the negotiation).
"""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from claims.batch import jobs as daily
from claims.models import DailyJob, JobStatus
from core.periods import add_months
from fund_budget.budget import compute_draft_index, prepare_indices, spending_by_institution
from fund_budget.clearing import clear_year
from fund_budget.common import money
from fund_budget.models import (
    Fund,
    FundBudget,
    FundThreshold,
    FundYearParameters,
    IndexStatus,
    InstitutionIndex,
    MonthlyRun,
    PaymentMode,
    Rating,
)
from fund_budget.monthly import settle_month
from policy_rules.models import PolicyVersion
from policy_rules.services import import_policy_pack

HISTORY_VISITS = 60
D = Decimal
# the past year's agreed index as a share of what the institution then spent: some under, some over
INDEX_FACTORS = (D("1.12"), D("0.95"), D("1.04"), D("0.88"))
RATINGS = (Rating.A, Rating.AA, Rating.AAA)
PARAMETERS = {
    "withholding_rate": D("0.05"), "payment_day": 15, "statement_day": 10,
    "retain_share_a": D("0.4"), "retain_share_aa": D("0.5"), "retain_share_aaa": D("0.6"),
    "retain_ceiling": D("0.15"), "overspend_tolerance": D("0.10"),
    "overspend_share_a": D("0.5"), "overspend_share_aa": D("0.6"), "overspend_share_aaa": D("0.7"),
    "up_factor": D("0.03"), "down_factor": D("0.03"), "index_growth_rate": D("0.05"), "warning_excess": D("0.10"),
}
# the two basic pools, each budgeted, indexed and cleared on its own (docs/benefit-layers.md §F), each with its
# item-by-item threshold: the demo's small institutions below it are paid item by item in that fund
POOLS = {Fund.EMPLOYEE_POOL: D("5000"), Fund.RESIDENT_POOL: D("3000")}


def history_days(day: dt.date) -> list[dt.date]:
    """One day a month (the demo day's day of the month, at most the 28th) from January of the past year to
    the month before the demo day."""
    month, last = dt.date(day.year - 1, 1, 1), add_months(day.replace(day=1), -1)
    out = []
    while month <= last:
        out.append(month.replace(day=min(day.day, 28)))
        month = add_months(month, 1)
    return out


def ensure_past_policy(year: int, region: str) -> str | None:
    """The demo policy pack again for a past year (same figures, code DEMO-<year>) unless one covers it."""
    if PolicyVersion.objects.active().filter(region=region).covering(dt.date(year, 7, 1)).exists():
        return None
    path = Path(apps.get_app_config("policy_rules").path) / "fixtures" / "demo-city-2026.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    if doc["region"] != region:
        return None
    doc.update(code=f"DEMO-{year}", name=doc["name"].replace("2026", str(year)),
               effective_from=f"{year}-01-01", effective_to=f"{year}-12-31")
    if PolicyVersion.objects.filter(code=doc["code"]).exists():
        return None
    return import_policy_pack(doc, source_name=f"{path.name} ({year})").code


def run_history(day: dt.date, say) -> None:
    """The daily job of the last history day, unless done: a day's job settles every visit discharged by
    that day that is still unsettled (each at its own discharge time, so in its own business month), so one
    job settles the whole history; fourteen jobs of 60 visits would cost a minute more of `make demo`."""
    days = history_days(day)
    if not days or DailyJob.objects.filter(run_date=days[-1], status=JobStatus.DONE).exists():
        return
    job = daily.run_day(days[-1])
    say(f"daily job {days[-1]}: {job.status}, {job.visits_settled} visits settled")


def ensure_parameters(years: list[int]) -> None:
    for year in years:
        params, _ = FundYearParameters.objects.get_or_create(year=year, region="", defaults=PARAMETERS)
        for fund, threshold in POOLS.items():
            FundThreshold.objects.get_or_create(parameters=params, fund=fund,
                                                defaults={"item_by_item_threshold": threshold})


def _spent(year: int, fund: str, region: str) -> dict[int, Decimal]:
    return {k: v for k, v in spending_by_institution(year, fund, region=region).items() if v > 0}


@transaction.atomic
def ensure_indices_and_budgets(day: dt.date, region: str) -> None:
    for fund in POOLS:
        ensure_fund_indices_and_budgets(day, fund, region)


def ensure_fund_indices_and_budgets(day: dt.date, fund: str, region: str) -> None:
    """For one fund. Past year: an agreed index per institution that spent it (its spending × a factor by
    code); current year: prepare_indices' drafts agreed at the bureau's draft formula (last year × growth).
    Budgets: the past year's spending + 5 %, the current year's the agreed indices + 5 %."""
    past, current = day.year - 1, day.year
    spent = _spent(past, fund, region)
    if not InstitutionIndex.objects.filter(year=past, fund=fund).exists():
        InstitutionIndex.objects.bulk_create([
            InstitutionIndex(year=past, institution_id=pk, fund=fund, payment_mode=PaymentMode.BUDGET,
                             agreed_amount=money(amount * INDEX_FACTORS[pk % len(INDEX_FACTORS)]),
                             rating=RATINGS[pk % len(RATINGS)], status=IndexStatus.AGREED, agreed_at=timezone.now(),
                             note="demo") for pk, amount in sorted(spent.items())])
    if not InstitutionIndex.objects.filter(year=current, fund=fund).exists():
        prepare_indices(current, fund, region)
        for index in InstitutionIndex.objects.filter(year=current, fund=fund, status=IndexStatus.DRAFT,
                                                     payment_mode=PaymentMode.BUDGET).select_related("institution"):
            index.agreed_amount, _ = compute_draft_index(index)
            index.status, index.agreed_at = IndexStatus.AGREED, timezone.now()
            index.save(update_fields=["agreed_amount", "status", "agreed_at"])
    totals = {past: sum(spent.values(), D(0)) * D("1.05")}
    agreed = InstitutionIndex.objects.filter(year=current, fund=fund, status=IndexStatus.AGREED).values_list(
        "agreed_amount", flat=True)
    totals[current] = sum(agreed, D(0)) * D("1.05")
    for year, amount in totals.items():
        FundBudget.objects.get_or_create(year=year, region=region, fund=fund,
                                         defaults={"amount": money(amount), "note": "demo"})


def settle_months(day: dt.date, say) -> None:
    """Statements for every month from January of the past year to the month before the demo day, with
    cutoffs just after now (after every record of the seed), one microsecond apart to keep them ordered."""
    base = timezone.now()
    month, last = dt.date(day.year - 1, 1, 1), add_months(day.replace(day=1), -1)
    step = 0
    while month <= last:
        if not MonthlyRun.objects.current().filter(month=month).exists():
            step += 1
            run, _ = settle_month(month, cutoff=base + dt.timedelta(microseconds=step))
            say(f"statements {month:%Y-%m}: {run.statement_count}, fund {run.fund_total}")
        month = add_months(month, 1)


def seed_fund(day: dt.date, region: str = "410800", say=lambda message: None) -> None:
    ensure_parameters([day.year - 1, day.year])
    run_history(day, say)
    ensure_indices_and_budgets(day, region)
    settle_months(day, say)
    counts = clear_year(day.year - 1)
    say(f"clearing {day.year - 1}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
