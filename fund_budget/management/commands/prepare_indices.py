"""python manage.py prepare_indices YYYY REGION [--fund 310100] — draft index rows and item-by-item flags."""
from django.core.management.base import BaseCommand, CommandError

from fund_budget.budget import prepare_indices
from fund_budget.common import FundError
from fund_budget.models import CURRENT_FUNDS, Fund


class Command(BaseCommand):
    help = "Create draft institution indices from last year's spending and flag item-by-item institutions."

    def add_arguments(self, parser):
        parser.add_argument("year", type=int)
        parser.add_argument("region", help="6-digit pooling region code")
        parser.add_argument("--fund", default=Fund.EMPLOYEE_POOL, choices=CURRENT_FUNDS)

    def handle(self, *args, **options):
        try:
            counts = prepare_indices(options["year"], options["fund"], options["region"])
        except FundError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(", ".join(f"{k} {v}" for k, v in counts.items()))
