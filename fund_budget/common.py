"""Shared helpers: money rounding, month boundaries, parameter look-up and the service error."""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case, DecimalField, F, Value, When
from django.utils.translation import gettext as _

from .models import MONEY, FundYearParameters

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class FundError(Exception):
    """A fund-budget operation refused; the message is for the user (Chinese)."""


def money(value) -> Decimal:
    """Round to the fen, half up (away from zero for negative amounts), never through float."""
    if value is None:
        return ZERO
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_month(text: str) -> dt.date:
    """'YYYY-MM' → the first day of that month."""
    try:
        year, month = (int(part) for part in text.split("-"))
        return dt.date(year, month, 1)
    except (ValueError, TypeError) as exc:
        raise FundError(_("月份应为YYYY-MM格式，例如2026-03。")) from exc


def parameters_for(year: int, region: str) -> FundYearParameters | None:
    """The year's parameters for a region, falling back to the default row (blank region)."""
    rows = {p.region: p for p in FundYearParameters.objects.filter(year=year, region__in=[region or "", ""])}
    return rows.get(region or "") or rows.get("")


def parameters_by_region(year: int) -> dict[str, FundYearParameters]:
    """All parameter rows of a year by region ("" is the default)."""
    return {p.region: p for p in FundYearParameters.objects.filter(year=year).prefetch_related("thresholds")}


def pick_parameters(rows: dict[str, FundYearParameters], region: str) -> FundYearParameters | None:
    return rows.get(region or "") or rows.get("")


def _fen(value) -> int:
    if value is None or (isinstance(value, float) and value != value):  # None or NaN
        return 0
    return int(Decimal(value).scaleb(2).to_integral_value(rounding=ROUND_HALF_UP))


def decimal_sum(frame, by: list[str], columns: list[str]):
    """groupby(by).sum() of columns holding Decimal amounts (object dtype) or integer counts: amounts are summed
    exactly as integer fen (every amount here is to the fen), then turned back into Decimal."""
    import pandas as pd

    if frame.empty:
        return pd.DataFrame(columns=[*by, *columns])
    out = frame[by].copy()
    money_columns = [c for c in columns if frame[c].dtype == object]
    for c in columns:
        out[c] = frame[c].map(_fen) if c in money_columns else frame[c]
    out = out.groupby(by, as_index=False)[columns].sum()
    for c in money_columns:
        out[c] = out[c].map(lambda fen: Decimal(int(fen)).scaleb(-2))
    return out


def signed(column: str, kind_field: str = "kind"):
    """The settlement column with the sign of its kind: a reversal (冲销) counts negative."""
    return Case(When(**{kind_field: "reversal"}, then=-F(column)), default=F(column),
                output_field=DecimalField(**MONEY))


def signed_one(kind_field: str = "kind"):
    return Case(When(**{kind_field: "reversal"}, then=Value(-1)), default=Value(1))

