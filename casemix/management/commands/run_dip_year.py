"""python manage.py run_dip_year --region R --year Y [--final] — the region's DIP year through the engine.

Stores a run and its coding audit (casemix.coding.run_dip_year_audited) and prints the point value and each institution's DIP line. A
final run is the year-end clearing's: it fixes the groups of its cases (their lists can no longer change).
"""
from django.core.management.base import BaseCommand, CommandError

from casemix.coding import run_dip_year_audited
from casemix.selectors import run_institution_results
from claims.errors import ServiceError


class Command(BaseCommand):
    help = "Group and score a region's DIP year, store the run and print each institution's DIP line."

    def add_arguments(self, parser):
        parser.add_argument("--region", required=True)
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--final", action="store_true", help="the year-end clearing's run: groups become final")
        parser.add_argument("--reason", default="")

    def handle(self, *args, **options):
        try:
            run, audited = run_dip_year_audited(options["region"], options["year"], final=options["final"],
                                                 reason=options["reason"] or "run_dip_year")
        except ServiceError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"DIP {run.region} {run.year} run #{run.pk}{' (final)' if run.final else ''}: "
                          f"{run.grouped}/{run.cases} cases grouped, {run.total_points} points, "
                          f"point value {run.point_value}; coding audit: {len(audited['hits'])} new hits, "
                          f"{len(audited['items'])} new suspect items")
        for r in run_institution_results(run):
            self.stdout.write(f"  {r.institution.fixmedins_code}  points {r.points}  DIP amount {r.dip_amount}  "
                              f"paid by items {r.fund_paid_by_items}  clearing {r.clearing}")
