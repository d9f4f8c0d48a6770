"""python manage.py seed_demo --date D — a small synthetic city and one day of fee uploads.

A thin call of the synthetic city generator (devtools.synth, also behind `synth_city`) with the
demo's sizes: 60 institutions, a 300-item catalog and 600 visits discharged and uploaded on D. With
--history, also one day a month of the past year and of the current one up to D (devtools.demo_fund: the
demo's fund side; the catalog then takes effect on 1 January of the past year and the demo policy pack is
imported for that year too). Does nothing when the database already has persons.
"""
import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from devtools.demo_fund import HISTORY_VISITS, ensure_past_policy, history_days
from devtools.synth import CitySpec
from devtools.synth.write import analyze_tables, ensure_policy, write_city, write_day, write_reference
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
        parser.add_argument("--history", action="store_true",
                            help="also a day a month since January of the past year (the fund side of the demo)")

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
        catalog_from = dt.date(day.year - 1, 1, 1) if options["history"] else None
        spec = CitySpec(persons=options["persons"], institutions=DEMO_INSTITUTIONS, start_date=day,
                        visits_per_day=DEMO_VISITS, seed=options["seed"], catalog_items=DEMO_CATALOG_ITEMS,
                        catalog_from=catalog_from)
        ensure_policy(spec.dates(), spec.region, stdout=self.stderr)
        if not options["history"]:
            counts = write_city(spec)
        else:
            ensure_past_policy(day.year - 1, spec.region)
            counts = self._with_history(spec)
        self.stdout.write(
            f"seed_demo: {counts['insurance_institution']} institutions, {counts['insurance_person']} persons, "
            f"{counts['policy_rules_catalogitem']} catalog items, {counts['claims_visit']} visits with "
            f"{counts['claims_feeline']} fee lines uploaded on {day}"
            + (f" and {len(history_days(day))} earlier days" if options["history"] else ""))

    @staticmethod
    def _with_history(spec: CitySpec) -> dict[str, int]:
        """The city's reference and day, then one history day a month (its own random stream per day)."""
        ref, ref_base, counts = write_reference(spec)
        for table, n in write_day(spec, ref, ref_base, 0).items():
            counts[table] = counts.get(table, 0) + n
        origin = spec.catalog_from
        history = CitySpec(persons=spec.persons, institutions=spec.institutions, start_date=origin,
                           visits_per_day=HISTORY_VISITS, seed=spec.seed, catalog_items=spec.catalog_items,
                           catalog_from=origin)
        for d in history_days(spec.start_date):
            for table, n in write_day(history, ref, ref_base, (d - origin).days).items():
                counts[table] = counts.get(table, 0) + n
        analyze_tables()
        return counts
