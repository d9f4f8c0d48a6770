"""python manage.py seed_demo_dip --date D — the demo city's settlement lists of D's year and a DIP run
(devtools.demo_dip). Settlements that have a list keep it, so it can run again."""
import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from devtools.demo_dip import seed_dip


class Command(BaseCommand):
    help = "Settlement lists for the demo city's inpatient settlements of the year, and a DIP run."

    def add_arguments(self, parser):
        parser.add_argument("--date", required=True, help="the demo day, YYYY-MM-DD")
        parser.add_argument("--region", default="410800")

    def handle(self, *args, **options):
        try:
            day = dt.date.fromisoformat(options["date"])
        except ValueError as exc:
            raise CommandError(f"--date: not a date YYYY-MM-DD: {options['date']!r}") from exc
        seed_dip(options["region"], day.year, say=self.stdout.write)
