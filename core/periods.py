"""Periods of the bureau's calendar as half-open intervals of aware datetimes, [start, end).

A day, a run of days, a month and a year are read in the local time zone (settings.TIME_ZONE), so that a
settlement at 23:59 on the 31st belongs to that month however the database stores it. Every app asks here
instead of combining dates with midnight itself.
"""
from __future__ import annotations

import calendar
import datetime as dt

from django.utils import timezone


def day_start(day: dt.date) -> dt.datetime:
    """The first instant of a local day."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of one local day."""
    return days_bounds(day, day)


def days_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start of first, end of last) for the local days first..last, both included."""
    return day_start(first), day_start(last + dt.timedelta(days=1))


def add_months(month: dt.date, n: int) -> dt.date:
    """The first day of the month n months after month's (n may be negative)."""
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of month's calendar month."""
    first = month.replace(day=1)
    return day_start(first), day_start(add_months(first, 1))


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a calendar year."""
    return day_start(dt.date(year, 1, 1)), day_start(dt.date(year + 1, 1, 1))


def day_in_month(month: dt.date, day: int) -> dt.date:
    """The given day of a month, or the month's last day when it is shorter."""
    return month.replace(day=min(day, calendar.monthrange(month.year, month.month)[1]))

def local_naive(value: dt.datetime | None) -> dt.datetime | None:
    """Aware datetime → naive local wall time (the engine reasons in the bureau's local time)."""
    if value is None:
        return None
    return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
