"""Reads behind the job pages (claims.workspace.jobs): the daily jobs (claims.batch) and the upload jobs
(claims.intake.files), their progress while they run and their errors in words.

A daily job's own figures (lines, visits settled, held) are written once, when its last chunk is done; while it
runs, its progress is the sum over the chunks already done, read here, so the page moves as chunks finish.
"""
from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.batch.jobs import CHUNK_ABANDONED
from claims.models import DailyJob, DailyJobChunk, JobStatus, QuarantinedVisit, UploadJob

ACTIVE = (JobStatus.PENDING, JobStatus.RUNNING)
UPLOAD_ERRORS_SHOWN = 100
RETRYABLE_CODE = "INTERNAL_ERROR"  # claims.intake.files.retry_upload_job retries only these


def daily_jobs() -> QuerySet[DailyJob]:
    """Every daily job, the latest business date first."""
    return DailyJob.objects.order_by("-run_date")


def upload_jobs() -> QuerySet[UploadJob]:
    """Every upload job with its institution and uploader, the newest first."""
    return UploadJob.objects.select_related("institution", "created_by").order_by("-created_at", "-pk")


def any_active() -> bool:
    """Whether a daily or upload job is waiting or running (the list page polls while one is)."""
    return (DailyJob.objects.filter(status__in=ACTIVE).exists()
            or UploadJob.objects.filter(status__in=ACTIVE).exists())


def percent(done: int, total: int) -> int:
    """done of total as a whole percentage (0 when there is nothing to do), for a progress bar."""
    return min(100, done * 100 // total) if total else 0


def chunk_error_words(error: str) -> str:
    """A chunk's (or its job's) error as the page says it: a worker lost on every attempt in words; anything
    else said to have rolled the chunk back (its technical text is shown apart, for the operators)."""
    if not error:
        return ""
    if CHUNK_ABANDONED in error:
        return _("The worker processing a chunk was lost on every attempt (its lease expired); the chunk was "
                 "stopped and nothing of it was written. Start the job again.")
    return _("A chunk stopped on an error and was rolled back: nothing of it was written. Start the job again "
             "once the cause is fixed.")


def daily_job_progress(job: DailyJob) -> dict:
    """A daily job as its page shows it, read afresh (the page polls this): the chunks done of the total, the
    lines classified, visits settled and held so far (the done chunks' sums), the visits quarantined, the
    attempts spent, the chunks running with their lease owner and expiry, and its errors in words."""
    job.refresh_from_db()
    chunks = list(DailyJobChunk.objects.filter(job=job).order_by("chunk_no"))
    done = [c for c in chunks if c.status == JobStatus.DONE]
    now = timezone.now()
    for c in chunks:
        c.lease_lapsed = c.status == JobStatus.RUNNING and c.lease_expires_at is not None and c.lease_expires_at < now
        c.error_words = chunk_error_words(c.error)
    return {
        "job": job, "chunks": chunks, "active": job.status in ACTIVE,
        "chunks_done": len(done), "chunks_total": job.chunks_total or len(chunks),
        "percent": percent(len(done), job.chunks_total or len(chunks)),
        "lines": sum(c.lines_classified for c in done), "settled": sum(c.visits_settled for c in done),
        "held": sum(c.visits_held for c in done),
        "quarantined": QuarantinedVisit.objects.filter(job=job).count(),
        "attempts": sum(c.attempts for c in chunks),
        "running": [c for c in chunks if c.status == JobStatus.RUNNING],
        "failed": [c for c in chunks if c.status == JobStatus.FAILED],
        "error_words": chunk_error_words(job.error),
    }


def upload_job_progress(job: UploadJob) -> dict:
    """An upload job as its page shows it, read afresh: rows done of the total, accepted and rejected, the
    attempts, the lease, its first errors (each with its row, field and message) and whether it may be retried."""
    job.refresh_from_db()
    errors = job.errors or []
    return {
        "job": job, "active": job.status in ACTIVE, "percent": percent(job.rows_done, job.rows_total),
        "errors": errors[:UPLOAD_ERRORS_SHOWN], "errors_total": len(errors),
        "retryable": is_retryable(job),
    }


def is_retryable(job: UploadJob) -> bool:
    """Whether claims.intake.files.retry_upload_job would take the job back: it failed for an internal reason."""
    errors = job.errors or []
    return job.status == JobStatus.FAILED and bool(errors) and errors[0].get("code") == RETRYABLE_CODE
