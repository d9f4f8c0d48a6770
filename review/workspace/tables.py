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
    """The review queue. Every sort ends with the pk, so that the order is total: the item page's 下一条
    (review.selectors.queue_neighbour) and the export walk the same order as the page.

    `queue_query` (the queue's filter and sort, urlencoded) is carried on the links to the items, so that
    an item page knows its queue; `selectable` adds the checkboxes of the bulk verbs (reviewers only)."""

    items = tables.CheckBoxColumn(accessor="pk", verbose_name=_("Select"), attrs={
        "th__input": {"id": "select-all", "aria-label": _("Select all on this page")},
        "td__input": {"form": "bulk-form", "class": "select-item",
                      "aria-label": lambda record: _("Select item %(n)s") % {"n": record.pk}},
    })
    id = tables.Column(verbose_name=_("No."), order_by=("pk",))
    institution = tables.Column(verbose_name=_("Institution"), accessor="institution__name",
                                order_by=("institution__fixmedins_code", "pk"),
                                linkify=lambda record: reverse("workspace:institution",
                                                               args=[record.institution.fixmedins_code]))
    rule = tables.Column(verbose_name=_("Rule"), accessor="rule__code", order_by=("rule__code", "pk"))
    rule_name = tables.Column(verbose_name=_("Rule name"), accessor="rule__name", orderable=False)
    person = tables.Column(verbose_name=_("Insured person"), accessor="visit__person__name",
                           order_by=("visit__person__name", "pk"))
    visit = tables.Column(verbose_name=_("Visit"), accessor="visit__mdtrt_id", order_by=("visit__mdtrt_id", "pk"),
                          linkify=lambda record: reverse("workspace:visit", args=[record.visit.mdtrt_id]))
    amount_at_stake = MoneyColumn(verbose_name=_("Amount at stake"), order_by=("amount_at_stake", "pk"))
    state = tables.Column(verbose_name=_("State"), order_by=("state", "pk"))
    created_at = tables.DateTimeColumn(verbose_name=_("Opened"), format="Y-m-d H:i", order_by=("created_at", "pk"))
    age = tables.Column(verbose_name=_("Age (days)"), accessor="created_at", order_by=("-created_at", "-pk"),
                        attrs={"td": {"class": "num"}})

    class Meta:
        model = SuspectItem
        fields = ()
        sequence = ("items", "id", "institution", "rule", "rule_name", "person", "visit", "amount_at_stake",
                    "state", "created_at", "age")
        attrs = {**ATTRS, "id": "queue-table"}
        row_attrs = {"data-href": lambda table, record: table.item_url(record)}
        empty_text = _("No suspect items.")

    def __init__(self, *args, queue_query: str = "", selectable: bool = False, **kwargs):
        self.queue_query = queue_query
        if not selectable:
            kwargs["exclude"] = (*kwargs.get("exclude", ()), "items")
        super().__init__(*args, **kwargs)

    def item_url(self, record) -> str:
        url = reverse("workspace:item", args=[record.pk])
        return f"{url}?{self.queue_query}" if self.queue_query else url

    def render_id(self, record):
        return format_html('<a href="{}">{}</a>', self.item_url(record), record.pk)

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
