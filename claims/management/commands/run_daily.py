"""python manage.py run_daily --date YYYY-MM-DD — the daily adjudication job, in this process.

Does what the Celery beat entry does (claims.tasks.start_daily_job) without a broker; with
--enqueue it hands the chunks to the Celery workers instead. On a day whose job a dead worker left running it
completes the job: every unfinished chunk is run here, a chunk still under its dead worker's lease once the lease
lapses (claims.batch.jobs.run_day; a chunk whose worker is alive and renewing its lease is left to it).
"""
import datetime as dt
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Sum
from django.utils import timezone

from claims.batch import jobs as daily
from claims.tasks import start_daily_job


class Command(BaseCommand):
    help = "Classify the day's uploaded fee lines and settle discharged visits (日终批处理)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="business day, YYYY-MM-DD (default: yesterday)")
        parser.add_argument("--chunks", type=int, help="number of chunks split by person (new jobs only)")
        parser.add_argument("--enqueue", action="store_true", help="enqueue the chunks to Celery workers")

    def handle(self, *args, **options):
        try:
            day = dt.date.fromisoformat(options["date"]) if options["date"] else (
                timezone.localdate() - dt.timedelta(days=1))
        except ValueError as exc:
            raise CommandError(f"--date: not a date YYYY-MM-DD: {options['date']!r}") from exc
        if options["enqueue"]:
            job_id = start_daily_job.delay(day.isoformat())
            self.stdout.write(f"daily job for {day} enqueued ({job_id})")
            return
        job = daily.run_day(day, options["chunks"])
        self.stdout.write(f"daily job {day}: {job.status}; chunks {job.chunks_done}/{job.chunks_total}; "
                          f"lines classified {job.lines_classified}; visits settled {job.visits_settled}; "
                          f"held {job.visits_held}; quarantined {job.visits_quarantined}")
        if job.error:
            self.stdout.write(f"error: {job.error}")
        rows = job.summaries.select_related("institution").order_by("-fund_pay_sumamt")
        totals = rows.aggregate(medfee=Sum("medfee_sumamt"), fund=Sum("fund_pay_sumamt"))
        self.stdout.write(f"{'institution':<14}{'lines':>8}{'medfee':>14}{'fund':>14}{'settled':>9}{'held':>6}"
                          f"{'rejected':>9}")
        for s in rows[:15]:
            self.stdout.write(f"{s.institution.fixmedins_code:<14}{s.lines:>8}{s.medfee_sumamt!s:>14}"
                              f"{s.fund_pay_sumamt!s:>14}{s.settled:>9}{s.held:>6}{s.rejected:>9}")
        medfee, fund = (Decimal(str(totals[k] or 0)).quantize(Decimal("0.01")) for k in ("medfee", "fund"))
        self.stdout.write(f"total medfee {medfee}  fund {fund}  "
                          f"institutions {rows.count()}")
