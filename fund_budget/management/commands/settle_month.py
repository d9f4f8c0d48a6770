"""python manage.py settle_month YYYY-MM — issue the month's statements (月度结算), as the beat job does."""
import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from fund_budget.common import FundError, parse_month
from fund_budget.models import MonthlyStatement
from fund_budget.monthly import settle_month


class Command(BaseCommand):
    help = ("Issue the monthly statements of a month (月度结算); a month already settled is left unchanged, a "
            "reopened month is issued again (a run of the next sequence).")

    def add_arguments(self, parser):
        parser.add_argument("month", help="YYYY-MM")
        parser.add_argument("--cutoff", help="data cutoff, ISO date-time (default: one hour ago)")

    def handle(self, *args, **options):
        try:
            month = parse_month(options["month"])
            cutoff = None
            if options["cutoff"]:
                cutoff = dt.datetime.fromisoformat(options["cutoff"])
                cutoff = timezone.make_aware(cutoff) if timezone.is_naive(cutoff) else cutoff
            run, created = settle_month(month, cutoff=cutoff)
        except (FundError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        state = "issued" if created else "already issued, nothing changed"
        self.stdout.write(f"{run}: {run.statement_count} statements {state}; fund {run.fund_total}; "
                          f"payable {run.payable_total}; cutoff {timezone.localtime(run.cutoff):%Y-%m-%d %H:%M}")
        for s in MonthlyStatement.objects.current().filter(run=run).select_related("institution").order_by("-fund_amount")[:10]:
            self.stdout.write(f"  {s.institution.fixmedins_code}  fund {s.fund_amount:>14}  withheld {s.withheld:>12}"
                              f"  deductions {s.deductions:>10}  payable {s.net_payable:>14}  due {s.payment_due}")
