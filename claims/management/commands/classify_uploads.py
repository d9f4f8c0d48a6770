"""python manage.py classify_uploads --date YYYY-MM-DD — classify a day's uploaded fee lines, settle nothing.

The upload verbs classify each visit's lines as they arrive; this does it for a whole day at once: for lines
loaded without classification, or to classify a day again after a catalog change. The daily job
(run_daily) classifies and settles.
"""
import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from claims.batch import jobs as daily


class Command(BaseCommand):
    help = "Classify the active fee lines uploaded on a day (step 1 of the engine) without settling."

    def add_arguments(self, parser):
        parser.add_argument("--date", required=True, help="upload day, YYYY-MM-DD")
        parser.add_argument("--chunks", type=int, help="chunks split by person (default DAILY_JOB_CHUNKS)")

    def handle(self, *args, **options):
        try:
            day = dt.date.fromisoformat(options["date"])
        except ValueError as exc:
            raise CommandError(f"--date: not a date YYYY-MM-DD: {options['date']!r}") from exc
        n = daily.classify_uploads(day, options["chunks"])
        self.stdout.write(f"classified {n} fee lines uploaded on {day}")
