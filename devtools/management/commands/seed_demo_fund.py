"""python manage.py seed_demo_fund --date D — the demo's fund side after `seed_demo --history`.

Runs the daily job for the history days, writes the year parameters, budgets and indices of the past and
the current year, issues the monthly statements up to the month before D and drafts the past year's
clearing (devtools.demo_fund). Each step skips what is already there, so it can run again.
"""
import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from devtools.demo_fund import seed_fund
from fund_budget.common import FundError


class Command(BaseCommand):
    help = "Budgets, indices, monthly statements and the past year's clearing for the demo city."

    def add_arguments(self, parser):
        parser.add_argument("--date", required=True, help="the demo day, YYYY-MM-DD")

    def handle(self, *args, **options):
        try:
            day = dt.date.fromisoformat(options["date"])
        except ValueError as exc:
            raise CommandError(f"--date: not a date YYYY-MM-DD: {options['date']!r}") from exc
        try:
            seed_fund(day, say=self.stdout.write)
        except FundError as exc:
            raise CommandError(str(exc)) from exc
