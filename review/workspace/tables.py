"""Tables of the review pages' lists (django-tables2): sortable columns, paginated by the views."""
from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.display import MoneyColumn
from review.models import Appeal, SuspectItem

ATTRS = {"class": "table"}


class SuspectItemTable(tables.Table):
    id = tables.Column(verbose_name=_("No."), linkify=("workspace:item", {"pk": tables.A("pk")}))
    institution = tables.Column(verbose_name=_("Institution"), accessor="institution__name",
                                order_by=("institution__fixmedins_code",),
                                linkify=lambda record: reverse("workspace:institution",
                                                               args=[record.institution.fixmedins_code]))
    rule = tables.Column(verbose_name=_("Rule"), accessor="rule__code", order_by=("rule__code",))
    rule_name = tables.Column(verbose_name=_("Rule name"), accessor="rule__name", orderable=False)
    visit = tables.Column(verbose_name=_("Visit"), accessor="visit__mdtrt_id", order_by=("visit__mdtrt_id",),
                          linkify=lambda record: reverse("workspace:visit", args=[record.visit.mdtrt_id]))
    amount_at_stake = MoneyColumn(verbose_name=_("Amount at stake"))
    state = tables.Column(verbose_name=_("State"))
    created_at = tables.DateTimeColumn(verbose_name=_("Opened"), format="Y-m-d H:i")
    age = tables.Column(verbose_name=_("Age (days)"), accessor="created_at", order_by=("-created_at",),
                        attrs={"td": {"class": "num"}})

    class Meta:
        model = SuspectItem
        fields = ()
        sequence = ("id", "institution", "rule", "rule_name", "visit", "amount_at_stake", "state", "created_at",
                    "age")
        attrs = ATTRS
        empty_text = _("No suspect items.")

    def render_state(self, record):
        return format_html('<span class="state state-{}">{}</span>', record.state, record.get_state_display())

    def render_age(self, value):
        return (timezone.now() - value).days


class AppealTable(tables.Table):
    id = tables.Column(verbose_name=_("No."), linkify=("workspace:appeal", {"pk": tables.A("pk")}))
    item = tables.Column(verbose_name=_("Suspect item"), accessor="item_id",
                         linkify=lambda record: reverse("workspace:item", args=[record.item_id]))
    institution = tables.Column(verbose_name=_("Institution"), accessor="institution__name",
                                order_by=("institution__fixmedins_code",))
    rule = tables.Column(verbose_name=_("Rule"), accessor="item__rule__code")
    amount = MoneyColumn(verbose_name=_("Deducted amount"), accessor="item__confirmed_amount")
    state = tables.Column(verbose_name=_("State"))
    filed_at = tables.DateTimeColumn(verbose_name=_("Filed"), format="Y-m-d H:i")
    decided_at = tables.DateTimeColumn(verbose_name=_("Decided"), format="Y-m-d H:i")

    class Meta:
        model = Appeal
        fields = ()
        sequence = ("id", "item", "institution", "rule", "amount", "state", "filed_at", "decided_at")
        attrs = ATTRS
        empty_text = _("No appeals.")

    def render_state(self, record):
        return format_html('<span class="state state-{}">{}</span>', record.state, record.get_state_display())
