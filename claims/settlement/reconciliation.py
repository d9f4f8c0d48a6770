"""Reconciliation with an institution (对总账, national interface 3201).

The platform's totals of an institution over a period are its settlements minus their reversals,
each counted on the local date of its own setl_time (a settlement of March reversed in April
counts +1 in March and -1 in April), compared field by field with what the institution declares.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from claims.errors import ServiceError
from claims.models import Settlement, SettlementKind
from core.periods import days_bounds
from insurance.models import Institution

MONEY_FIELDS = ("medfee_sumamt", "fund_pay_sumamt", "acct_pay")
COUNT_FIELD = "fixmedins_setl_cnt"
FIELDS = (*MONEY_FIELDS, COUNT_FIELD)
MATCH, MISMATCH = "match", "mismatch"


def platform_totals(institution: Institution, begndate: dt.date, enddate: dt.date) -> dict:
    """Net medfee_sumamt, fund_pay_sumamt, acct_pay and settlement count over the period."""
    start, end = days_bounds(begndate, enddate)
    qs = Settlement.objects.filter(institution=institution, setl_time__gte=start, setl_time__lt=end)
    zero = Value(Decimal("0.00"), output_field=DecimalField(max_digits=16, decimal_places=2))
    settled, reversed_ = Q(kind=SettlementKind.SETTLEMENT), Q(kind=SettlementKind.REVERSAL)
    agg = qs.aggregate(
        **{f"{f}_plus": Coalesce(Sum(F(f), filter=settled), zero) for f in MONEY_FIELDS},
        **{f"{f}_minus": Coalesce(Sum(F(f), filter=reversed_), zero) for f in MONEY_FIELDS},
        count_plus=Count("pk", filter=settled), count_minus=Count("pk", filter=reversed_),
    )
    totals = {f: agg[f"{f}_plus"] - agg[f"{f}_minus"] for f in MONEY_FIELDS}
    totals[COUNT_FIELD] = agg["count_plus"] - agg["count_minus"]
    return totals


def reconcile(institution: Institution, *, stmt_begndate: dt.date, stmt_enddate: dt.date, declared: dict) -> dict:
    """Compare the institution's declared totals with the platform's; differences are declared − platform."""
    if stmt_enddate < stmt_begndate:
        raise ServiceError.one("stmt_enddate", "ENDDATE_BEFORE_BEGNDATE", _("对账结束日期不能早于开始日期。"))
    missing = [f for f in FIELDS if declared.get(f) is None]
    if missing:
        raise ServiceError([{"line": None, "field": f, "code": "REQUIRED", "message": _("必填。")} for f in missing])
    platform = platform_totals(institution, stmt_begndate, stmt_enddate)
    differences = {f: declared[f] - platform[f] for f in FIELDS}
    result = MATCH if not any(differences.values()) else MISMATCH
    return {
        "fixmedins_code": institution.fixmedins_code,
        "stmt_begndate": stmt_begndate, "stmt_enddate": stmt_enddate,
        "stmt_rslt": result, "stmt_rslt_dscr": _("平") if result == MATCH else _("不平"),
        "platform": platform, "declared": {f: declared[f] for f in FIELDS}, "differences": differences,
    }
