"""python manage.py seed_demo_dip --date D — the demo city's settlement lists and DIP runs (devtools.demo_dip):
the past year's lists, its final DIP run and its year-end clearing with the DIP lines; then the lists of D's year
and a trial run. Settlements that have a list keep it and a final run is kept, so it can run again."""
import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from devtools.demo_dip import close_dip_year, seed_dip
from fund_budget.common import FundError


class Command(BaseCommand):
    help = ("Settlement lists for the demo city's inpatient settlements, the past year's final DIP run and "
            "clearing, and a trial run of the current year.")

    def add_arguments(self, parser):
        parser.add_argument("--date", required=True, help="the demo day, YYYY-MM-DD")
        parser.add_argument("--region", default="410800")

    def handle(self, *args, **options):
        try:
            day = dt.date.fromisoformat(options["date"])
        except ValueError as exc:
            raise CommandError(f"--date: not a date YYYY-MM-DD: {options['date']!r}") from exc
        try:
            close_dip_year(options["region"], day.year - 1, say=self.stdout.write)
        except FundError as exc:
            raise CommandError(str(exc)) from exc
        seed_dip(options["region"], day.year, say=self.stdout.write)
