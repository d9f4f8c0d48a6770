"""Tables of the statement and clearing lists (django-tables2): sortable columns, money with two decimals and
thousands separators, codes by their labels."""
from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from claims.templatetags.money import money

from .models import ClearingReport, MonthlyStatement

ATTRS = {"class": "table"}


class MoneyColumn(tables.Column):
    """An amount: right-aligned, `|money` formatting (0.00 for zero, never a dash)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", {"td": {"class": "num"}, "th": {"class": "num"}})
        super().__init__(*args, **kwargs)

    def render(self, value):
        return money(value)


class StatementTable(tables.Table):
    month = tables.DateColumn(verbose_name=_("结算月份"), format="Y-m",
                              linkify=lambda record: reverse("fund_budget:statement", args=[record.pk]))
    code = tables.Column(verbose_name=_("机构编码"), accessor="institution__fixmedins_code")
    institution = tables.Column(verbose_name=_("机构名称"), accessor="institution__name")
    visit_count = tables.Column(verbose_name=_("结算人次"), attrs={"td": {"class": "num"}})
    fund_amount = MoneyColumn(verbose_name=_("基金应付"))
    withheld = MoneyColumn(verbose_name=_("质量保证金"))
    deductions = MoneyColumn(verbose_name=_("审核扣款净额"))
    payable = MoneyColumn(verbose_name=_("本月应付"))
    net_payable = MoneyColumn(verbose_name=_("实际应拨付"))
    payment_due = tables.DateColumn(verbose_name=_("拨付截止日"), format="Y-m-d")

    class Meta:
        model = MonthlyStatement
        fields = ()
        sequence = ("month", "code", "institution", "visit_count", "fund_amount", "withheld", "deductions",
                    "payable", "net_payable", "payment_due")
        attrs = ATTRS
        empty_text = _("No statements.")
        order_by = ("-month", "code")


class ClearingTable(tables.Table):
    year = tables.Column(verbose_name=_("年度"),
                         linkify=lambda record: reverse("fund_budget:clearing", args=[record.pk]))
    code = tables.Column(verbose_name=_("机构编码"), accessor="institution__fixmedins_code")
    institution = tables.Column(verbose_name=_("机构名称"), accessor="institution__name")
    fund = tables.Column(verbose_name=_("基金范围"))
    side = tables.Column(verbose_name=_("结余/超支"))
    rating = tables.Column(verbose_name=_("信用等级"))
    index_amount = MoneyColumn(verbose_name=_("年度控制指标 I"))
    actual = MoneyColumn(verbose_name=_("实际发生 A"))
    final = MoneyColumn(verbose_name=_("清算额"))
    status = tables.Column(verbose_name=_("状态"))

    class Meta:
        model = ClearingReport
        fields = ()
        sequence = ("year", "code", "institution", "fund", "side", "rating", "index_amount", "actual", "final",
                    "status")
        attrs = ATTRS
        empty_text = _("No clearing reports.")
        order_by = ("-year", "code")

    def render_fund(self, record):
        return record.get_fund_display()

    def render_side(self, record):
        return record.get_side_display()

    def render_status(self, record):
        return record.get_status_display()
