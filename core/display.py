"""Figures as a reader sees them, the same on every page and in every locale (zh-hans's own number format has
no thousands separators): money with two decimals, rounded half up, and thousands separators (17146.15 →
17,146.15); counts as integers (an admissions counter kept as 1.00 shows 1); shares as percentages with one
decimal. Used by the template filters (claims/templatetags/money.py: |money, |count, |percent) and by the
tables' columns below (django-tables2), so that a figure is formatted in one place only."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import django_tables2 as tables

CENT = Decimal("0.01")
TENTH = Decimal("0.1")
NUM = {"td": {"class": "num"}, "th": {"class": "num"}}


def _decimal(value) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def money_text(value) -> str:
    """Two decimals, half up, thousands separators; empty for None; a non-number as it is."""
    amount = _decimal(value)
    if amount is None:
        return "" if value is None or value == "" else str(value)
    return f"{amount.quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"


def count_text(value) -> str:
    """An integer with thousands separators (a count stored as a decimal drops its .00)."""
    number = _decimal(value)
    if number is None:
        return "" if value is None or value == "" else str(value)
    return f"{number.quantize(Decimal(1), rounding=ROUND_HALF_UP):,.0f}"


def percent_text(value, *, ratio: bool = False) -> str:
    """A percentage with one decimal and the sign: 12.34 → 12.3%; with ratio=True the value is a share of one
    (0.1234 → 12.3%)."""
    number = _decimal(value)
    if number is None:
        return "" if value is None or value == "" else str(value)
    if ratio:
        number *= 100
    return f"{number.quantize(TENTH, rounding=ROUND_HALF_UP):,.1f}%"


def decimal_text(value, places: int) -> str:
    """A figure with `places` decimals, half up, and thousands separators (DIP points with 4: 1,940.0000; a point
    value with 6: 6.301546); empty for None."""
    number = _decimal(value)
    if number is None:
        return "" if value is None or value == "" else str(value)
    return f"{number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):,.{places}f}"


class MoneyColumn(tables.Column):
    """A django-tables2 column of amounts: right-aligned, shown by money_text (a dash when empty)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", NUM)
        kwargs.setdefault("default", "—")
        super().__init__(*args, **kwargs)

    def render(self, value):
        return money_text(value)

    def value(self, value):  # exports: the plain number
        return value


class CountColumn(tables.Column):
    """A django-tables2 column of counts: right-aligned integers."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", NUM)
        super().__init__(*args, **kwargs)

    def render(self, value):
        return count_text(value)
