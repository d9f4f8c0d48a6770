"""python manage.py clear_year YYYY — draft (or recompute) the year's clearing reports (年终清算)."""
from django.core.management.base import BaseCommand, CommandError

from fund_budget.clearing import clear_year
from fund_budget.common import FundError


class Command(BaseCommand):
    help = "Compute the year-end clearing reports; drafts are recomputed, approved reports never change."

    def add_arguments(self, parser):
        parser.add_argument("year", type=int)

    def handle(self, *args, **options):
        try:
            counts = clear_year(options["year"])
        except FundError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"clearing {options['year']}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
