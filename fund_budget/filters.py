"""Filters of the statement and clearing lists (django-filter) over the user-scoped rows of
fund_budget.selectors: month (or year), institution (code, or part of the name) and state."""
from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .common import parse_month
from .models import ClearingSide, ClearingStatus
from .selectors import clearing_years, clearings_for, statement_months, statements_for


def _institution(queryset, name, value):
    value = value.strip()
    return queryset.filter(Q(institution__fixmedins_code=value) | Q(institution__name__icontains=value))


class StatementFilter(django_filters.FilterSet):
    month = django_filters.ChoiceFilter(label=_("结算月份"), empty_label=_("All"), method="filter_month")
    institution = django_filters.CharFilter(label=_("医药机构"), method="filter_institution", max_length=100)

    def __init__(self, data=None, *args, user=None, **kwargs):
        super().__init__(data, *args, queryset=statements_for(user), **kwargs)
        self.filters["month"].extra["choices"] = [(f"{m:%Y-%m}", f"{m:%Y-%m}") for m in statement_months(user)]

    def filter_month(self, queryset, name, value):
        return queryset.filter(month=parse_month(value))

    def filter_institution(self, queryset, name, value):
        return _institution(queryset, name, value)


class ClearingFilter(django_filters.FilterSet):
    year = django_filters.ChoiceFilter(label=_("年度"), empty_label=_("All"), method="filter_year")
    institution = django_filters.CharFilter(label=_("医药机构"), method="filter_institution", max_length=100)
    side = django_filters.ChoiceFilter(label=_("结余/超支"), choices=ClearingSide.choices, empty_label=_("All"))
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ClearingStatus.choices, empty_label=_("All"))

    def __init__(self, data=None, *args, user=None, **kwargs):
        super().__init__(data, *args, queryset=clearings_for(user), **kwargs)
        self.filters["year"].extra["choices"] = [(str(y), str(y)) for y in clearing_years(user)]

    def filter_year(self, queryset, name, value):
        return queryset.filter(year=int(value))  # one of the choices: digits

    def filter_institution(self, queryset, name, value):
        return _institution(queryset, name, value)
