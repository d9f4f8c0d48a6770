"""Celery tasks: thin and idempotent; the beat schedule is static, the days are data.

settle_due_month runs every morning and settles the previous month once the year's statement day has
come (a month already settled is left alone). clear_previous_year runs on March 1st and drafts the
previous year's clearing reports (drafts are recomputed, approved reports never change).
"""
import datetime as dt
import logging

from celery import shared_task
from django.utils import timezone

from . import clearing, monthly

log = logging.getLogger(__name__)


@shared_task(acks_late=True)
def settle_due_month(today: str | None = None) -> str | None:
    day = dt.date.fromisoformat(today) if today else timezone.localdate()
    month = monthly.due_month(day)
    if month is None:
        return None
    run, created = monthly.settle_month(month)
    log.info("monthly statements %s: %s statements%s", month, run.statement_count, "" if created else " (existing)")
    return f"{month:%Y-%m}"


@shared_task(acks_late=True)
def settle_month(month: str) -> int:
    run, _ = monthly.settle_month(dt.date.fromisoformat(f"{month}-01"))
    return run.pk


@shared_task(acks_late=True)
def clear_previous_year(year: int | None = None) -> dict:
    year = year or timezone.localdate().year - 1
    counts = clearing.clear_year(year)
    log.info("year-end clearing %s: %s", year, counts)
    return counts
