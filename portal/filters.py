"""The portal's settlement list filters (django-filter): local date range of the settlement time, status, kind.
The queryset is the institution's own (portal.selectors.settlements_of); the filters only narrow it."""
from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from claims.models import SettlementKind, SettlementStatus
from core.periods import day_start


class SettlementFilter(django_filters.FilterSet):
    date_from = django_filters.DateFilter(label=_("Settled from"), method="settled_from",
                                          widget=forms.DateInput(attrs={"type": "date"}))
    date_to = django_filters.DateFilter(label=_("Settled to"), method="settled_to",
                                        widget=forms.DateInput(attrs={"type": "date"}))
    status = django_filters.ChoiceFilter(label=_("Status"), choices=SettlementStatus.choices, empty_label=_("All"))
    kind = django_filters.ChoiceFilter(label=_("Type"), choices=SettlementKind.choices, empty_label=_("All"))

    def settled_from(self, queryset, name, value: dt.date):
        return queryset.filter(setl_time__gte=day_start(value))

    def settled_to(self, queryset, name, value: dt.date):
        return queryset.filter(setl_time__lt=day_start(value + dt.timedelta(days=1)))
