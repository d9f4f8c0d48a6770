"""Filters of the list-deadline queue (django-filter; casemix.deadline_views): region, institution (code or part
of the name; the bureau only) and state (overdue, not yet due)."""
from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import DipYearParameters

OVERDUE, PENDING = "overdue", "pending"


class MissingListFilter(django_filters.FilterSet):
    region = django_filters.ChoiceFilter(label=_("统筹区"), empty_label=_("All"), field_name="institution__region")
    institution = django_filters.CharFilter(label=_("医药机构"), method="filter_institution", max_length=100)
    state = django_filters.ChoiceFilter(label=_("状态"), empty_label=_("All"), method="filter_state",
                                        choices=[(OVERDUE, _("已逾期")), (PENDING, _("未到期"))])

    def __init__(self, data=None, *args, bureau: bool = True, **kwargs):
        super().__init__(data, *args, **kwargs)
        regions = sorted(set(DipYearParameters.objects.values_list("region", flat=True)))
        self.filters["region"].extra["choices"] = [(r, r) for r in regions]
        if not bureau:  # an institution sees its own rows only: nothing to choose
            del self.filters["region"], self.filters["institution"]

    def filter_institution(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(institution__fixmedins_code=value) | Q(institution__name__icontains=value))

    def filter_state(self, queryset, name, value):
        return queryset.filter(days_overdue__gt=0) if value == OVERDUE else queryset.filter(days_overdue__lte=0)
