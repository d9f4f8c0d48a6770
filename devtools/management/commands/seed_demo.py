"""python manage.py seed_demo --date D — a small synthetic city and one day of fee uploads.

A thin call of the synthetic city generator (devtools.synth, also behind `synth_city`) with the
demo's sizes: 60 institutions, a 300-item catalog and 600 visits discharged and uploaded on D. Does
nothing when the database already has persons.
"""
import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from devtools.synth import CitySpec
from devtools.synth.write import ensure_policy, write_city
from insurance.models import Person

DEMO_INSTITUTIONS = 60
DEMO_CATALOG_ITEMS = 300
DEMO_VISITS = 600


class Command(BaseCommand):
    help = "Generate a small synthetic city (institutions, persons, catalog) and a day of fee uploads."

    def add_arguments(self, parser):
        parser.add_argument("--date", required=True, help="the day of the uploads, YYYY-MM-DD")
        parser.add_argument("--persons", type=int, default=3000)
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, **options):
        try:
            day = dt.date.fromisoformat(options["date"])
        except ValueError as exc:
            raise CommandError(f"--date: not a date YYYY-MM-DD: {options['date']!r}") from exc
        if options["persons"] < 1:
            raise CommandError("--persons must be at least 1")
        if Person.objects.exists():
            self.stdout.write("seed_demo: the database already has persons; nothing generated.")
            return
        spec = CitySpec(persons=options["persons"], institutions=DEMO_INSTITUTIONS, start_date=day,
                        visits_per_day=DEMO_VISITS, seed=options["seed"], catalog_items=DEMO_CATALOG_ITEMS)
        ensure_policy(spec.dates(), spec.region, stdout=self.stderr)
        counts = write_city(spec)
        self.stdout.write(
            f"seed_demo: {counts['insurance_institution']} institutions, {counts['insurance_person']} persons, "
            f"{counts['policy_rules_catalogitem']} catalog items, {counts['claims_visit']} visits with "
            f"{counts['claims_feeline']} fee lines uploaded on {day}")
