"""Filters of the workspace lists (django-filter). The queue's filters are handed to the
review_queue selector, so the user's scope and the filtering stay in one place."""
from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from insurance.models import Institution
from policy_rules.models import AuditRuleDefinition
from review.models import AppealState, SuspectState
from review.selectors import appeals_for, review_queue


class QueueFilter(django_filters.FilterSet):
    institution = django_filters.ModelChoiceFilter(label=_("Institution"), queryset=Institution.objects.all(),
                                                   method="noop")
    rule = django_filters.ModelChoiceFilter(label=_("Rule"), queryset=AuditRuleDefinition.objects.all(),
                                            method="noop")
    state = django_filters.ChoiceFilter(label=_("State"), choices=SuspectState.choices, empty_label=_("All"),
                                        method="noop")
    min_amount = django_filters.NumberFilter(label=_("Amount from"), method="noop", min_value=0)
    max_amount = django_filters.NumberFilter(label=_("Amount to"), method="noop", min_value=0)
    min_age = django_filters.NumberFilter(label=_("Age from (days)"), method="noop", min_value=0)
    max_age = django_filters.NumberFilter(label=_("Age to (days)"), method="noop", min_value=0)

    def __init__(self, data=None, *args, user=None, **kwargs):
        self.user = user
        super().__init__(data, *args, queryset=review_queue(user, state=None), **kwargs)

    def noop(self, queryset, name, value):
        return queryset

    def filter_queryset(self, queryset):
        d = self.form.cleaned_data
        age = lambda v: int(v) if v is not None else None  # noqa: E731
        return review_queue(
            self.user, state=d.get("state") or None, institution=d.get("institution"), rule=d.get("rule"),
            min_amount=d.get("min_amount"), max_amount=d.get("max_amount"),
            min_age_days=age(d.get("min_age")), max_age_days=age(d.get("max_age")),
        )


class AppealFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(label=_("State"), choices=AppealState.choices, empty_label=_("All"),
                                        method="noop")

    def __init__(self, data=None, *args, user=None, **kwargs):
        self.user = user
        super().__init__(data, *args, queryset=appeals_for(user, state=None), **kwargs)

    def noop(self, queryset, name, value):
        return queryset

    def filter_queryset(self, queryset):
        return appeals_for(self.user, state=self.form.cleaned_data.get("state") or None)
