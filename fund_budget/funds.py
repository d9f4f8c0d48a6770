"""Which fund pays which settlement amount (docs/benefit-layers.md §F), as SQL expressions over claims.Settlement.

The table itself is models.common.FUNDS: a fund's sources are settlement columns, each for the settlement's
schemes. A settlement's scheme is the basic insutype (310 employee, 390 resident) of the enrollment it was settled
under, by the engine's rule (policy_rules.engine.frames.enrollments_in_force): the enrollment the visit was
registered under, else the person's enrollment in force on the admission day, latest start first. A settlement
without one reads as "" (it pays nothing from a pool: eligibility needs an enrollment) and falls to the
catch-all source of each column, so every column is shared out whole and the fund lines add up.

A row written before the split (a legacy code of LEGACY_FUNDS) is read with its successors: reads().
"""
from __future__ import annotations

from django.db.models import (
    Case,
    CharField,
    DateTimeField,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.db.models.lookups import In

from claims.models import Settlement
from insurance.models import BASIC_INSUTYPES, Enrollment

from .common import ZERO, signed
from .models import CURRENT_FUNDS, LEGACY_COLUMNS, LEGACY_FUNDS, MONEY, SOURCES, Fund

POOL_COLUMN = "hifp_pay"  # per-bed-day and per-disease gains and losses go to the fund paying this column


def key(fund: str) -> str:
    """The name of a fund's amount in aggregates and frames (a fund code is not an identifier)."""
    return f"fund_{fund}"


def scheme():
    """The settlement's basic insutype ("" when none): the registered enrollment's, else the basic one (310,
    390; not a parallel 320 … 510) in force on the admission day (latest start, then latest id)."""
    day = TruncDate(ExpressionWrapper(OuterRef("visit__begntime"), output_field=DateTimeField()))
    in_force = (Enrollment.objects.filter(person_id=OuterRef("person_id"), insutype__in=BASIC_INSUTYPES,
                                          enrolled_from__lte=day)
                .filter(Q(enrolled_to__isnull=True) | Q(enrolled_to__gte=day))
                .order_by("-enrolled_from", "-pk").values("insutype")[:1])
    return Coalesce(F("visit__enrollment__insutype"), Subquery(in_force), Value(""), output_field=CharField())


def _named(column: str) -> frozenset[str]:
    """The schemes named by the sources of a column (the catch-all source takes every other)."""
    return frozenset().union(*(schemes for _f, c, schemes in SOURCES if c == column))


def _condition(column: str, schemes: frozenset[str], expr):
    if schemes:
        return In(expr, sorted(schemes))
    named = _named(column)
    return ~Q(In(expr, sorted(named))) if named else None


def fund_amounts(kind_field: str = "kind") -> dict[str, Sum]:
    """key(fund) → Σ of what the fund paid in the rows (reversals negative), for every current fund."""
    expr = scheme()
    parts: dict[str, list] = {f: [] for f in CURRENT_FUNDS}
    for fund, column, schemes in SOURCES:
        amount = signed(column, kind_field)
        condition = _condition(column, schemes, expr)
        parts[fund].append(amount if condition is None else Case(
            When(condition, then=amount), default=Value(ZERO), output_field=DecimalField(**MONEY)))
    return {key(f): Sum(sum(p[1:], p[0])) for f, p in parts.items() if p}


def fund_amount(fund: str, kind_field: str = "kind") -> Sum:
    """Σ of what one fund paid (a fund before the split: its column over every scheme)."""
    if fund in LEGACY_COLUMNS:
        return Sum(signed(LEGACY_COLUMNS[fund], kind_field))
    return fund_amounts(kind_field)[key(fund)]


def pool_fund():
    """The fund paying the settlement's pooled amount (hifp_pay): where its standard's gain or loss goes."""
    expr = scheme()
    whens = [When(In(expr, sorted(schemes)), then=Value(fund)) for fund, column, schemes in SOURCES
             if column == POOL_COLUMN and schemes]
    default = next(fund for fund, column, schemes in SOURCES if column == POOL_COLUMN and not schemes)
    return Case(*whens, default=Value(default), output_field=CharField())


def pool_fund_of(settlement_id: int) -> str:
    """The fund that paid a settlement's pooled amount: where a deduction from that settlement is booked."""
    return Settlement.objects.filter(pk=settlement_id).annotate(fund=pool_fund()).values_list("fund", flat=True).get()


def reads(fund: str) -> list[str]:
    """The fund codes of the lines a fund's index or budget counts: its own, and across the split its
    successors (a legacy fund) or its only predecessor (a current fund)."""
    out = [fund]
    for _name, code, _label, _column, successors in LEGACY_FUNDS:
        if code == fund:
            out += list(successors)
        elif successors == (fund,):
            out.append(code)
    return out


def label(fund: str) -> str:
    return Fund(fund).label if fund in Fund.values else fund
