"""Capitation (按人头 / 门诊包干): heads × monthly rate on each monthly statement of the contract's year,
penalties (e.g. a fixed sum per verified case of turning a contracted patient away), and the annual
reconciliation Σ monthly − Σ penalties.

A contract may name the medical type it covers (e.g. 11 普通门诊): the institution's settlements of that
type, for visits discharged in the contract's year, are then paid by the capitation instead of item by
item — the statement shows their fee-for-service amount and the gain or loss against the capitation.
"""
from __future__ import annotations

import datetime as dt
from functools import reduce
from operator import or_

import pandas as pd
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.models import Visit
from core.periods import year_bounds

from . import chronic_capitation
from .common import ZERO, FundError, decimal_sum, money
from .models import (
    CapitationContract,
    CapitationPenalty,
    CapitationReconciliation,
    ChronicCapitationReconciliation,
    MonthlyStatement,
)

# How many years back a covered visit's settlement may still be reversed and recognised as covered.
COVERED_YEARS_BACK = 2


def covered_condition(year: int, med_types: set[str] | None = None) -> Q | None:
    """Settlements covered by a capitation contract: at a contract's institution, for a visit of the covered
    medical type discharged (else begun) in the contract's year; and those a 门慢特 per-disease capitation pays
    (fund_budget.chronic_capitation). With med_types, only visits of those types. None when nothing is covered.

    Written as visit_id IN (visits …) with the institutions also at the top level, so that PostgreSQL
    filters both sides by institution before joining (a plain join drove the plan from all visits)."""
    contracts = (CapitationContract.objects.exclude(covered_med_type="")
                 .filter(year__gte=year - COVERED_YEARS_BACK, year__lte=year))
    if med_types is not None:
        contracts = contracts.filter(covered_med_type__in=sorted(med_types))
    groups: dict[tuple[int, str], list[int]] = {}
    for contract_year, med_type, institution_id in contracts.values_list("year", "covered_med_type",
                                                                         "institution_id"):
        groups.setdefault((contract_year, med_type), []).append(institution_id)
    chronic = chronic_capitation.covered_condition(year - COVERED_YEARS_BACK, year, med_types)
    if not groups:
        return chronic
    parts = []
    for (contract_year, med_type), institutions in sorted(groups.items()):
        start, end = year_bounds(contract_year)
        visits = Visit.objects.filter(institution_id__in=institutions, med_type=med_type).filter(
            Q(endtime__gte=start, endtime__lt=end) | Q(endtime__isnull=True, begntime__gte=start, begntime__lt=end))
        parts.append(Q(institution_id__in=institutions, visit_id__in=visits.values("pk")))
    every = sorted({i for institutions in groups.values() for i in institutions})
    contracted = Q(institution_id__in=every) & reduce(or_, parts)
    return contracted if chronic is None else contracted | chronic


def monthly_amounts(month: dt.date) -> pd.DataFrame:
    """institution_id → the month's capitation payment: the contract's heads × monthly rate, plus the per-disease
    capitation of 门慢特 (fund_budget.chronic_capitation), each to the fen; `chronic` is the latter part."""
    rows = list(CapitationContract.objects.filter(year=month.year).values("institution_id", "heads", "monthly_rate"))
    frame = pd.DataFrame(rows, columns=["institution_id", "heads", "monthly_rate"])
    frame["capitation"] = [money(h * r) for h, r in zip(frame["heads"], frame["monthly_rate"], strict=True)]
    frame["chronic"] = ZERO
    chronic = chronic_capitation.monthly_amounts(month)
    chronic["chronic"] = chronic["capitation"]
    both = pd.concat([frame[["institution_id", "capitation", "chronic"]], chronic], ignore_index=True)
    return decimal_sum(both, ["institution_id"], ["capitation", "chronic"])


def record_penalty(contract: CapitationContract, *, date: dt.date, amount, reason: str, cases: int = 1,
                   user=None) -> CapitationPenalty:
    amount = money(amount)
    if amount <= 0:
        raise FundError(_("扣减金额必须大于0。"))
    if not (reason or "").strip():
        raise FundError(_("扣减必须说明原因。"))
    if date.year != contract.year:
        raise FundError(_("扣减日期不在协议年度内。"))
    return CapitationPenalty.objects.create(
        contract=contract, date=date, amount=amount, cases=cases, reason=reason.strip(),
        recorded_by=user if getattr(user, "is_authenticated", False) else None)


def _paid(year: int, amount) -> dict[int, dict]:
    """institution_id → {total, months} of an amount on the year's current statements (months where it is not 0)."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 1)
    return {row["institution_id"]: row for row in (
        MonthlyStatement.objects.current().filter(month__gte=start, month__lte=end)
        .annotate(part=amount).exclude(part=0)
        .values("institution_id").annotate(total=Sum("part"), months=Count("pk")))}


def reconcile_capitation(year: int) -> dict[str, int]:
    """Write (or refresh) each contract's annual reconciliation from the issued statements and penalties (the
    contract's part of their capitation payment), and each institution's 门慢特 per-disease one (its part).
    A row is rewritten only when a figure changed."""
    paid = _paid(year, F("capitation_amount") - F("chronic_capitation_amount"))
    penalties = dict(CapitationPenalty.objects.filter(contract__year=year).values("contract_id")
                     .annotate(total=Sum("amount")).values_list("contract_id", "total"))
    wanted = {}
    for contract in CapitationContract.objects.filter(year=year):  # contracts, not settlements
        row = paid.get(contract.institution_id, {})
        figures = {"months": row.get("months", 0), "monthly_total": money(row.get("total")),
                   "penalty_total": money(penalties.get(contract.pk))}
        figures["net"] = figures["monthly_total"] - figures["penalty_total"]
        wanted[contract.pk] = figures
    now = timezone.now()
    counts = _write(CapitationReconciliation, "contract_id", wanted,
                    CapitationReconciliation.objects.filter(contract__year=year), now)
    chronic = {}
    for institution_id, row in _paid(year, F("chronic_capitation_amount")).items():
        total = money(row["total"])  # penalties are recorded under a contract: none here
        chronic[institution_id] = {"year": year, "months": row["months"], "monthly_total": total, "net": total}
    more = _write(ChronicCapitationReconciliation, "institution_id", chronic,
                  ChronicCapitationReconciliation.objects.filter(year=year), now)
    return {k: counts[k] + more[k] for k in counts}


def _write(model, key: str, wanted: dict, existing_qs, now) -> dict[str, int]:
    """Create the missing rows of `wanted` (key value → figures), rewrite those whose figures changed."""
    existing = {getattr(r, key): r for r in existing_qs}
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    new = []
    for value, figures in sorted(wanted.items()):
        current = existing.get(value)
        if current is None:
            new.append(model(**{key: value}, computed_at=now, **figures))
        elif any(getattr(current, k) != v for k, v in figures.items()):
            model.objects.filter(pk=current.pk).update(computed_at=now, **figures)
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    model.objects.bulk_create(new, batch_size=1000)
    counts["created"] = len(new)
    return counts
