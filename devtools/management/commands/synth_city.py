"""python manage.py synth_city --persons N --institutions M --days D --lines-per-day L --seed S

Generates a synthetic city (devtools.synth) and writes it with COPY on PostgreSQL (bulk_create on
SQLite, for small sizes): institutions, persons with enrollments and accounts, a catalog, and D days of
visits discharged and fee lines uploaded on each day from --start-date. The same seed gives the same
city. Imports the demo policy pack when no active pack of the region covers the days.
"""
import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from devtools.synth import CitySpec
from devtools.synth.write import ensure_policy, write_city
from insurance.models import Person


def positive(value: str) -> int:
    n = int(value.replace("_", ""))
    if n < 1:
        raise ValueError(value)
    return n


class Command(BaseCommand):
    help = "Generate a synthetic city of any size (persons, institutions, catalog, days of visits and fee lines)."

    def add_arguments(self, parser):
        parser.add_argument("--persons", type=positive, required=True)
        parser.add_argument("--institutions", type=positive, required=True, help="at least 5")
        parser.add_argument("--days", type=positive, default=1)
        size = parser.add_mutually_exclusive_group(required=True)
        size.add_argument("--lines-per-day", type=positive, help="exactly this many fee lines a day")
        size.add_argument("--visits-per-day", type=positive, help="exactly this many visits a day")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--start-date", default="2026-03-16", help="the first day, YYYY-MM-DD")
        parser.add_argument("--catalog-items", type=positive, default=3000)
        parser.add_argument("--region", default="410800")

    def handle(self, *args, **options):
        try:
            start = dt.date.fromisoformat(options["start_date"])
        except ValueError as exc:
            raise CommandError(f"--start-date: not a date YYYY-MM-DD: {options['start_date']!r}") from exc
        try:
            spec = CitySpec(persons=options["persons"], institutions=options["institutions"], start_date=start,
                            days=options["days"], lines_per_day=options["lines_per_day"],
                            visits_per_day=options["visits_per_day"], seed=options["seed"],
                            region=options["region"], catalog_items=options["catalog_items"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if Person.objects.exists():
            raise CommandError("the database already has persons; synth_city writes a city into an empty database")
        if connection.vendor != "postgresql" and (spec.persons > 200_000 or (spec.lines_per_day or 0) > 200_000):
            self.stderr.write("warning: without PostgreSQL the rows go through bulk_create; this will be slow")
        t0 = time.perf_counter()
        code = ensure_policy(spec.dates(), spec.region, stdout=self.stderr)
        if code:
            self.stdout.write(f"synth_city: imported the demo policy pack {code}")
        counts = write_city(spec, progress=lambda m: self.stdout.write(f"synth_city: {m}"))
        self.stdout.write(
            f"synth_city: wrote {counts['insurance_person']:,} persons, {counts['insurance_institution']:,} "
            f"institutions, {counts['policy_rules_catalogitem']:,} catalog items, {counts['claims_visit']:,} visits, "
            f"{counts['claims_feeline']:,} fee lines in {time.perf_counter() - t0:.1f} s (seed {spec.seed})")
