"""The settlement-list deadline (docs/dip.md, "The list deadline"): an institution uploads the list of an inpatient
settlement within `list_deadline_days` of the settlement (the year's DIP parameters of its region, default 7).

A settlement is missing its list when it is a valid (not cancelled) inpatient settlement of a region and year
that has DIP parameters and no version of its list has been uploaded. Its due date is the settlement's local
date plus the days; it is overdue from the day after the due date (days overdue = today − due date > 0).
The queue is one SQL query, sortable and paginated by the pages (casemix.deadline_views).
"""
from __future__ import annotations

import datetime as dt

from django.db.models import (
    Count,
    DateField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import ExtractYear, TruncDate
from django.utils import timezone

from claims.models import Settlement, SettlementKind, SettlementStatus

from .lists import INPATIENT_MED_TYPES
from .models import DipYearParameters, SettlementList


class _Plus(Func):
    """date + integer days: a date (PostgreSQL adds days to a date; SQLite, which `make demo` runs on, has date())."""

    arg_joiner = " + "
    template = "(%(expressions)s)"
    output_field = DateField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="date(%(expressions)s || ' days')",
                           arg_joiner=", '+' || ", **extra)


class _DaysBetween(Func):
    """date − date: an integer number of days (PostgreSQL subtracts dates; SQLite, Julian day numbers)."""

    arg_joiner = " - "
    template = "(%(expressions)s)"
    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="CAST(julianday(%(expressions)s) AS INTEGER)",
                           arg_joiner=") - julianday(", **extra)


def missing_lists(*, today: dt.date | None = None, region: str | None = None,
                  institution_id: int | None = None) -> QuerySet:
    """The inpatient settlements without a list, each annotated with `deadline_days`, `due_date` and
    `days_overdue` (today − due date: positive when overdue, else minus the days left); of one region or one
    institution when given. Ordered most overdue first."""
    today = today or timezone.localdate()
    days = (DipYearParameters.objects.filter(region=OuterRef("institution__region"),
                                             year=ExtractYear(OuterRef("setl_time")))
            .order_by("-pk").values("list_deadline_days")[:1])
    qs = Settlement.objects.filter(kind=SettlementKind.SETTLEMENT, status=SettlementStatus.SETTLED,
                                   med_type__in=INPATIENT_MED_TYPES)
    if region is not None:
        qs = qs.filter(institution__region=region)
    if institution_id is not None:
        qs = qs.filter(institution_id=institution_id)
    return (qs.exclude(Exists(SettlementList.objects.filter(settlement=OuterRef("pk"))))
            .annotate(deadline_days=Subquery(days, output_field=IntegerField()))
            .filter(deadline_days__isnull=False)
            .annotate(due_date=_Plus(TruncDate("setl_time"), F("deadline_days")))
            .annotate(days_overdue=_DaysBetween(Value(today, output_field=DateField()), F("due_date")))
            .select_related("institution", "person")
            .order_by("due_date", "setl_time", "setl_id"))


def queue_counts(queue: QuerySet) -> dict[str, int]:
    """{'missing': lists missing, 'overdue': of them past their due date} of a missing_lists queryset."""
    return queue.order_by().aggregate(missing=Count("pk"), overdue=Count("pk", filter=Q(days_overdue__gt=0)))
