"""The institution page's charts (core.charts specs, drawn by static/js/charts.js): its year's settlements by
month and its rule hits by rule. The figures come from the selectors; this module only lays them out."""
from __future__ import annotations

from django.utils.translation import gettext as _

from claims.selectors import institution_months
from core import charts


def institution_charts(institution, year: int, hit_counts) -> dict:
    """{"months": medical fees and fund payments per month, "hits": rule hits and their amount per rule}."""
    months = institution_months(institution, year)
    hit_rows = list(hit_counts)
    return {
        "months": charts.chart(
            "bar", title=_("Settlements by month"), categories=[_("Month %(m)d") % {"m": r["month"]} for r in months],
            x_name=_("月份"), y_name=_("Amount (yuan)"), series_list=[
                charts.series(_("Total medical fees"), [r["medfee"] for r in months]),
                charts.series(_("Fund payments"), [r["fund"] for r in months]),
            ]),
        "hits": charts.chart(
            "bar", title=_("Rule hits"), categories=[f"{r['rule_code']} {r['rule__name'] or ''}".strip() for r in hit_rows],
            x_name=_("Rule"), y_name=_("Hits"), money=False, series_list=[
                charts.series(_("Hits"), [r["n"] for r in hit_rows], money=False),
            ]),
    }
