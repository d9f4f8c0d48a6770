"""The portal's lists (django-tables2): the institution's settlements and suspect items, linking to its
own portal pages only. Money through the |money filter, codes by their labels."""
from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from claims.models import MedType, Settlement
from claims.templatetags.money import money
from review.models import SuspectItem

ATTRS = {"class": "table"}
NUM = {"td": {"class": "num"}, "th": {"class": "num"}}


class MoneyColumn(tables.Column):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", NUM)
        super().__init__(*args, **kwargs)

    def render(self, value):
        return money(value)


class SettlementTable(tables.Table):
    setl_id = tables.Column(verbose_name=_("Settlement"))
    visit = tables.Column(verbose_name=_("Visit"), accessor="visit__mdtrt_id", order_by=("visit__mdtrt_id",),
                          linkify=lambda record: reverse("portal:visit", args=[record.visit.mdtrt_id]))
    person = tables.Column(verbose_name=_("Person"), accessor="person__name", order_by=("person__psn_no",))
    med_type = tables.Column(verbose_name=_("Medical type"))
    setl_time = tables.DateTimeColumn(verbose_name=_("Time"), format="Y-m-d H:i")
    kind = tables.Column(verbose_name=_("Type"))
    status = tables.Column(verbose_name=_("Status"))
    medfee_sumamt = MoneyColumn(verbose_name=_("Total medical fees"))
    fund_pay_sumamt = MoneyColumn(verbose_name=_("Fund payments"))
    psn_part_amt = MoneyColumn(verbose_name=_("Borne by the person"))

    class Meta:
        model = Settlement
        fields = ()
        sequence = ("setl_id", "visit", "person", "med_type", "setl_time", "kind", "status", "medfee_sumamt",
                    "fund_pay_sumamt", "psn_part_amt")
        attrs = ATTRS
        empty_text = _("No settlements.")

    def render_med_type(self, value):
        return MedType(value).label if value in MedType.values else value

    def render_kind(self, record):
        return record.get_kind_display()

    def render_status(self, record):
        return record.get_status_display()


class ItemTable(tables.Table):
    id = tables.Column(verbose_name=_("No."), linkify=("portal:item", {"pk": tables.A("pk")}))
    rule = tables.Column(verbose_name=_("Rule"), accessor="rule__code", order_by=("rule__code",))
    rule_name = tables.Column(verbose_name=_("Rule name"), accessor="rule__name", orderable=False)
    visit = tables.Column(verbose_name=_("Visit"), accessor="visit__mdtrt_id", order_by=("visit__mdtrt_id",),
                          linkify=lambda record: reverse("portal:visit", args=[record.visit.mdtrt_id]))
    amount_at_stake = MoneyColumn(verbose_name=_("Amount at stake"))
    confirmed_amount = MoneyColumn(verbose_name=_("Deducted amount"))
    state = tables.Column(verbose_name=_("State"))
    created_at = tables.DateTimeColumn(verbose_name=_("Opened"), format="Y-m-d H:i")

    class Meta:
        model = SuspectItem
        fields = ()
        sequence = ("id", "rule", "rule_name", "visit", "amount_at_stake", "confirmed_amount", "state", "created_at")
        attrs = ATTRS
        empty_text = _("No suspect items.")

    def render_state(self, record):
        return format_html('<span class="state state-{}">{}</span>', record.state, record.get_state_display())
