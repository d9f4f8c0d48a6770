"""The daily adjudication job (日终批处理): classify the day's uploads, settle discharged visits.

A job is split by person into chunks (person_id mod N), so several workers can share it and a
person's year is always settled by one worker. Every step is idempotent: a chunk is a lease (core.leases) claimed
with a conditional update and finished in its own transaction, settled visits are skipped, and running a finished
day again changes nothing. A chunk whose worker died is taken again (docs/operations.md, "Leases").
"""
from __future__ import annotations

import datetime as dt
import logging
from types import SimpleNamespace

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q, Subquery, Sum
from django.db.models.functions import Greatest, Now
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.audit.pipeline import HISTORY_DAYS, institution_stats, stats_columns, stats_frame
from claims.batch import chunk as bulk
from claims.errors import ServiceError
from claims.models import (
    DailyJob,
    DailyJobChunk,
    FeeLine,
    FeeLineStatus,
    InstitutionDailySummary,
    JobStatus,
    Settlement,
    SettlementKind,
    Visit,
    VisitStatus,
)
from claims.settlement.loading import load_inputs
from claims.settlement.plan import plan_fee_lines
from claims.settlement.services import settle_visits
from claims.settlement.writers import write_fee_lines
from core import leases
from core.periods import day_bounds
from policy_rules.engine import classify

log = logging.getLogger(__name__)
BATCH_VISITS = 2000



def _in_chunk(qs, person_field: str, chunks: int, chunk_no: int):
    return qs.annotate(_chunk=F(person_field) % chunks).filter(_chunk=chunk_no)


def lines_of_day(run_date: dt.date):
    start, end = day_bounds(run_date)
    return FeeLine.objects.filter(upload__created_at__gte=start, upload__created_at__lt=end)


def visits_to_settle(run_date: dt.date):
    _, end = day_bounds(run_date)
    return Visit.objects.filter(status=VisitStatus.DISCHARGED, endtime__lt=end)


def create_job(run_date: dt.date, chunks: int | None = None) -> tuple[DailyJob, bool]:
    """The job row for a day with its chunks, planned (plan_job); (job, created). A finished day is returned as it
    is."""
    chunks = chunks or settings.DAILY_JOB_CHUNKS
    with transaction.atomic():
        job, created = DailyJob.objects.get_or_create(run_date=run_date, defaults={"chunks_total": chunks})
        if created:
            DailyJobChunk.objects.bulk_create([DailyJobChunk(job=job, chunk_no=i) for i in range(chunks)])
            plan_job(job)
        elif job.status == JobStatus.FAILED:
            # a chunk that failed (or ran out of attempts) starts again with fresh attempts; a running one keeps
            # its lease (its worker may be alive)
            DailyJobChunk.objects.filter(job=job, status__in=[JobStatus.FAILED, JobStatus.PENDING]).update(
                status=JobStatus.PENDING, attempts=0, lease_owner="", lease_expires_at=None)
            DailyJob.objects.filter(pk=job.pk).update(status=JobStatus.PENDING, error="")
            job.refresh_from_db()
    return job, created


def check_startable(run_date: dt.date, today: dt.date | None = None) -> None:
    """Refuse (ServiceError on run_date) to start the job of a business day in the future, or whose job is
    already waiting, running or done; a day without a job, or whose job failed, may be started (create_job
    reopens a failed one). The workspace's start button asks here before enqueueing (claims.tasks)."""
    today = today or timezone.localdate()
    if run_date > today:
        raise ServiceError.one("run_date", "DATE_IN_FUTURE",
                               _("The business date %(d)s is in the future.") % {"d": run_date.isoformat()})
    status = DailyJob.objects.filter(run_date=run_date).values_list("status", flat=True).first()
    if status in (JobStatus.PENDING, JobStatus.RUNNING):
        raise ServiceError.one("run_date", "JOB_RUNNING",
                               _("The daily job of %(d)s is already queued or running.") % {"d": run_date.isoformat()})
    if status == JobStatus.DONE:
        raise ServiceError.one("run_date", "JOB_DONE",
                               _("The daily job of %(d)s has already finished.") % {"d": run_date.isoformat()})


def day_visits_by_chunk(run_date: dt.date, chunks: int) -> dict[int, list[int]]:
    """The visits with an active line uploaded on run_date, by chunk (their person's id mod chunks), sorted."""
    start, end = day_bounds(run_date)
    if use_bulk_path():
        with connection.cursor() as cursor:
            rows = bulk.day_visits(cursor, start, end)
    else:
        rows = (Visit.objects.filter(pk__in=lines_of_day(run_date).filter(status=FeeLineStatus.ACTIVE)
                                     .values("visit_id")).values_list("pk", "person_id"))
    by_chunk: dict[int, list[int]] = {i: [] for i in range(chunks)}
    for visit_id, person_id in rows:
        by_chunk[person_id % chunks].append(visit_id)
    return {i: sorted(ids) for i, ids in by_chunk.items()}


def plan_job(job: DailyJob) -> None:
    """Fix the job's inputs once, before any chunk runs: each chunk's list of the day's visits and the
    institutions' statistics its audit compares with (the settlements of the HISTORY_DAYS before the day).

    Every chunk, on whichever worker and however late it is retried, then works from the same inputs, and none
    of them scans the day's lines or the statistics' window of settlements again: a chunk's work does not grow
    with the number of chunks."""
    start, _ = day_bounds(job.run_date)
    by_chunk = day_visits_by_chunk(job.run_date, job.chunks_total)
    chunks = list(job.chunks.all())
    for chunk in chunks:
        chunk.visit_ids = by_chunk.get(chunk.chunk_no, [])
    with transaction.atomic():
        DailyJobChunk.objects.bulk_update(chunks, ["visit_ids"])
        if connection.vendor == "postgresql":  # the statistics group up to 90 days of settlements
            with connection.cursor() as cursor:
                bulk.batch_work_mem(cursor)
        job.audit_stats = stats_columns(institution_stats(start - dt.timedelta(days=HISTORY_DAYS), start))
        job.planned_at = timezone.now()
        job.save(update_fields=["audit_stats", "planned_at"])


def ensure_planned(job_id: int) -> DailyJob:
    """The job, planned: a job created before jobs were planned is planned once, by the first chunk to run."""
    with transaction.atomic():
        # FOR NO KEY UPDATE: it serializes the finishers without waiting for the key-share locks the other
        # worker's settlements take on the job row at their COMMIT (the job's key is not changed)
        job = DailyJob.objects.select_for_update(no_key=True).get(pk=job_id)
        if job.planned_at is None:
            plan_job(job)
    return job


CHUNK_ABANDONED = "abandoned: the chunk's worker was lost on every attempt (lease expired); see JOB_MAX_ATTEMPTS"


def take_chunk(chunk_id: int, wait: bool = True) -> leases.Claim | None:
    """Claim the chunk as a lease (core.leases.take): pending, or its worker died (lease lapsed); None when it is
    finished or a live worker holds it. A chunk out of attempts fails, and its job with it, with the reason."""
    taken = leases.take(DailyJobChunk, chunk_id, lease_seconds=settings.JOB_LEASE_SECONDS,
                        max_attempts=settings.JOB_MAX_ATTEMPTS, failure={"error": CHUNK_ABANDONED}, wait=wait)
    if taken is None:
        fail_jobs_of_failed_chunks()
    return taken


def fail_jobs_of_failed_chunks() -> None:
    """A job with a failed chunk is failed, with that chunk's reason (create_job reopens it)."""
    for job_id, chunk_no, error in (DailyJobChunk.objects.filter(status=JobStatus.FAILED)
                                    .exclude(job__status__in=[JobStatus.FAILED, JobStatus.DONE])
                                    .values_list("job_id", "chunk_no", "error")):
        DailyJob.objects.filter(pk=job_id).exclude(status=JobStatus.DONE).update(
            status=JobStatus.FAILED, error=f"chunk {chunk_no}: {error}"[:2000])


def run_chunk(chunk_id: int, wait: bool = True) -> bool:
    """Do one chunk if it is pending or its worker died; returns False when it is finished or held by a live worker.

    The chunk is a lease (core.leases): claimed with an owner token, renewed by a heartbeat thread on its own
    connection while the chunk's one transaction runs, and finished by a fenced update inside that transaction.
    So a chunk lands whole or not at all, and only the attempt that still holds the lease can land it: a worker
    killed mid-chunk leaves nothing behind, and the next worker (a redelivered task, the sweeper's, run_daily)
    does the chunk from the start. wait: see core.leases.take."""
    taken = take_chunk(chunk_id, wait=wait)
    if taken is None:
        return False
    now = timezone.now()
    chunk = DailyJobChunk.objects.select_related("job").get(pk=chunk_id)
    job = chunk.job
    if job.planned_at is None:
        job = ensure_planned(job.pk)
        chunk.refresh_from_db(fields=["visit_ids"])
    DailyJob.objects.filter(pk=job.pk, started_at__isnull=True).update(started_at=now)
    DailyJob.objects.filter(pk=job.pk, status=JobStatus.PENDING).update(status=JobStatus.RUNNING)
    try:
        with leases.Heartbeat(DailyJobChunk, chunk.pk, taken.token, settings.JOB_LEASE_SECONDS), \
                transaction.atomic():
            if use_bulk_path():
                classified, settled, held = bulk.run_chunk(job, chunk.chunk_no, chunk.visit_ids,
                                                           reason=f"日终批处理 {job.run_date}",
                                                           inst_stats=stats_frame(job.audit_stats))
            else:
                classified = classify_day_lines(chunk.visit_ids)
                settled, held = settle_day_visits(job, chunk.chunk_no)
            leases.release(DailyJobChunk, chunk.pk, taken.token, status=JobStatus.DONE, finished_at=Now(), error="",
                           lines_classified=classified, visits_settled=settled, visits_held=held)
    except leases.LeaseLost:
        log.warning("daily job %s chunk %s: lease lost to another worker, its work rolled back", job.run_date,
                    chunk.chunk_no)
        return False
    except Exception as exc:
        log.exception("daily job %s chunk %s failed", job.run_date, chunk.chunk_no)
        failed = DailyJobChunk.objects.filter(pk=chunk.pk, status=JobStatus.RUNNING, lease_owner=taken.token).update(
            status=JobStatus.FAILED, error=str(exc)[:2000], finished_at=Now(), lease_owner="", lease_expires_at=None)
        if failed:
            DailyJob.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, error=str(exc)[:2000])
        raise
    count_chunks_done(job.pk)
    finish_job_if_complete(job.pk)
    return True


def count_chunks_done(job_id: int) -> None:
    """The job's progress counter, after the chunk's COMMIT and in a statement of its own: inside the chunk's
    transaction the job row's lock was held until that COMMIT (its deferred key checks included), and the other
    worker's chunk waited for it at its end. The counter is the chunks marked done (the chunks' own rows, written
    with the chunk, are the truth), never lowered: a count from an older snapshot waiting for a newer one's lock
    keeps the newer. A worker killed between its COMMIT and this statement leaves the counter behind until the next
    chunk's count or the job's end (finish_job_if_complete)."""
    done = DailyJobChunk.objects.filter(job_id=job_id, status=JobStatus.DONE).values("job_id").annotate(
        n=Count("pk")).values("n")
    DailyJob.objects.filter(pk=job_id).update(chunks_done=Greatest(F("chunks_done"), Subquery(done)))


def chunks_to_send() -> list[int]:
    """For the sweeper: the chunks whose worker died (lease lapsed) and the pending ones whose task never reached
    a worker, JOB_RESEND_AFTER_SECONDS after it was sent or their job created; chunks out of attempts fail."""
    leases.fail_exhausted(DailyJobChunk, settings.JOB_MAX_ATTEMPTS, {"error": CHUNK_ABANDONED})
    fail_jobs_of_failed_chunks()
    due = leases.due_for_resend(DailyJobChunk.objects.all(), created_field="job__created_at",
                                resend_after_seconds=settings.JOB_RESEND_AFTER_SECONDS)
    return list(due.order_by("pk").values_list("pk", flat=True))


def chunks_sent(chunk_ids) -> None:
    """Note that these chunks' tasks were handed to the broker (claims.tasks)."""
    leases.mark_sent(DailyJobChunk, chunk_ids)


def use_bulk_path() -> bool:
    """The COPY reader and writer (DAILY_JOB_BULK, PostgreSQL only: claims.checks); else the ORM's."""
    return settings.DAILY_JOB_BULK


def classify_uploads(run_date: dt.date, chunks: int | None = None) -> int:
    """Classify every active line uploaded on run_date and store its split, settling nothing (the upload verbs
    do this visit by visit); returns the number of lines classified. For lines loaded without classification,
    or a day to classify again after a catalog change."""
    chunks = chunks or settings.DAILY_JOB_CHUNKS
    by_chunk = day_visits_by_chunk(run_date, chunks)
    if use_bulk_path():
        job = SimpleNamespace(pk=None, run_date=run_date, chunks_total=chunks)
        return sum(bulk.run_chunk(job, i, ids, reason="", settle=False)[0] for i, ids in by_chunk.items())
    return sum(classify_day_lines(ids) for ids in by_chunk.values())


def classify_day_lines(visit_ids: list[int]) -> int:
    """Classify the active lines of these visits (a chunk's visits of the day) with the engine, and store the
    split on each line whose split changed (the plan's rule, claims.settlement.plan.plan_fee_lines)."""
    done = 0
    for i in range(0, len(visit_ids), BATCH_VISITS):
        visits = list(Visit.objects.select_related("person", "institution", "enrollment")
                      .filter(pk__in=visit_ids[i:i + BATCH_VISITS]))
        inputs, _items = load_inputs(visits, {v.pk: v.endtime or timezone.now() for v in visits}, with_state=False)
        split = classify(**inputs.engine(with_state=False))
        write_fee_lines(plan_fee_lines(split, inputs.line_keys))
        done += len(inputs.line_keys)
    return done


def settle_day_visits(job: DailyJob, chunk_no: int) -> tuple[int, int]:
    """Settle every discharged, unsettled visit of this chunk's persons at its discharge time."""
    todo = _in_chunk(visits_to_settle(job.run_date), "person_id", job.chunks_total, chunk_no)
    pending = list(todo.order_by("person_id", "endtime").values_list("pk", "person_id", "endtime"))
    settled = 0
    i = 0
    while i < len(pending):
        # whole persons per batch, so that each person's year is settled in one engine call
        j = min(i + BATCH_VISITS, len(pending))
        while j < len(pending) and pending[j][1] == pending[j - 1][1]:
            j += 1
        batch = pending[i:j]
        result = settle_visits([pk for pk, _, _ in batch], setl_times={pk: end for pk, _, end in batch},
                               reason=f"日终批处理 {job.run_date}", daily_job=job,
                               audit=settings.DAILY_JOB_AUDIT)
        settled += len(result)
        i = j
    return settled, len(pending) - settled


def finish_job_if_complete(job_id: int) -> bool:
    """When the last chunk is done, write the per-institution summary once."""
    with transaction.atomic():
        # FOR NO KEY UPDATE: it serializes the finishers without waiting for the key-share locks the other
        # worker's settlements take on the job row at their COMMIT (the job's key is not changed)
        job = DailyJob.objects.select_for_update(no_key=True).get(pk=job_id)
        if job.status == JobStatus.DONE or job.chunks.exclude(status=JobStatus.DONE).exists():
            return False
        totals = job.chunks.aggregate(lines=Sum("lines_classified"), settled=Sum("visits_settled"),
                                      held=Sum("visits_held"))
        write_summaries(job)
        job.lines_classified = totals["lines"] or 0
        job.visits_settled = totals["settled"] or 0
        job.visits_held = totals["held"] or 0
        job.visits_quarantined = job.quarantined.count()
        job.chunks_done = job.chunks.count()  # all done (above), whatever count_chunks_done last saw
        job.status = JobStatus.DONE
        job.finished_at = timezone.now()
        job.save()
    return True


def write_summaries(job: DailyJob) -> None:
    by_inst: dict[int, dict] = {}
    # a quarantined visit's lines are left out: they may hold what no sum can (claims.batch.quarantine)
    for row in (lines_of_day(job.run_date).exclude(visit__quarantines__job=job).values("visit__institution_id")
                .annotate(n=Count("pk"), amount=Sum("det_item_fee_sumamt"))):
        by_inst.setdefault(row["visit__institution_id"], {})
        by_inst[row["visit__institution_id"]].update(lines=row["n"], medfee_sumamt=row["amount"] or 0)
    for row in (Settlement.objects.filter(daily_job=job, kind=SettlementKind.SETTLEMENT).values("institution_id")
                .annotate(n=Count("pk"), fund=Sum("fund_pay_sumamt"),
                          rejected=Count("pk", filter=~Q(ineligible_reason="")))):
        by_inst.setdefault(row["institution_id"], {})
        by_inst[row["institution_id"]].update(settled=row["n"], fund_pay_sumamt=row["fund"] or 0,
                                              rejected=row["rejected"])
    for row in visits_to_settle(job.run_date).values("institution_id").annotate(n=Count("pk")):
        by_inst.setdefault(row["institution_id"], {})["held"] = row["n"]
    InstitutionDailySummary.objects.bulk_create(
        [InstitutionDailySummary(job=job, institution_id=inst, **values) for inst, values in by_inst.items()],
        ignore_conflicts=True,
    )


def run_day(run_date: dt.date, chunks: int | None = None) -> DailyJob:
    """Create (or reopen a failed) job and run all its unfinished chunks in this process: pending ones, and
    running ones whose worker died (each waited for until its lease lapses; one whose worker is alive and
    renewing its lease is left to it)."""
    job, _ = create_job(run_date, chunks)
    for chunk_id in (job.chunks.filter(status__in=[JobStatus.PENDING, JobStatus.RUNNING]).order_by("chunk_no")
                     .values_list("pk", flat=True)):
        run_chunk(chunk_id)
    finish_job_if_complete(job.pk)
    job.refresh_from_db()
    return job
