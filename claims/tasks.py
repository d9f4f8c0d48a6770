"""Celery tasks: thin, take ids, idempotent, enqueued on commit. Job state lives on the models.

Chunks and upload jobs are leases (core.leases): a task claims its row, so a task delivered twice (a redelivery,
the sweeper's re-send) has no second effect. A send that fails (the broker down) is logged and leaves the row
pending with no enqueued_at; the sweeper (sweep_jobs, a beat entry) sends it again, as it does the rows whose
worker died.
"""
import datetime as dt
import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from claims.batch import jobs as daily
from claims.intake import files
from claims.models import UploadJob

log = logging.getLogger(__name__)


@shared_task(acks_late=True)
def start_daily_job(run_date: str | None = None) -> int:
    """Create the day's job (default: yesterday) and enqueue one task per pending chunk."""
    day = dt.date.fromisoformat(run_date) if run_date else timezone.localdate() - dt.timedelta(days=1)
    job, _ = daily.create_job(day)
    for chunk_id in job.chunks.filter(status=daily.JobStatus.PENDING).values_list("pk", flat=True):
        transaction.on_commit(lambda cid=chunk_id: send_chunk(cid))
    return job.pk


@shared_task(acks_late=True)
def run_daily_chunk(chunk_id: int) -> bool:
    return daily.run_chunk(chunk_id)


@shared_task(acks_late=True)
def process_upload_job(job_id: int) -> bool:
    """Import an uploaded fee-line file (claims.intake.files); a job already taken is left alone."""
    return files.process_upload_job(job_id)


@shared_task(acks_late=True)
def sweep_jobs() -> dict:
    """Send again the chunks and upload jobs whose worker died (lease lapsed) or whose task never reached a worker,
    and fail those out of attempts (claims.batch.jobs.chunks_to_send, claims.intake.files.upload_jobs_to_send)."""
    chunks = [cid for cid in daily.chunks_to_send() if send_chunk(cid)]
    uploads = [jid for jid in files.upload_jobs_to_send() if send_upload_job(jid)]
    if chunks or uploads:
        log.warning("sweeper re-sent chunks %s and upload jobs %s", chunks, uploads)
    return {"chunks": chunks, "upload_jobs": uploads}


def _send(task, row_id: int, mark_sent, what: str) -> bool:
    """Hand a job row's task to the broker and note when (mark_sent); False, logged, when the broker is
    unreachable: the row stays unsent and the sweeper sends it again."""
    try:
        task.delay(row_id)
    except OperationalError:
        log.exception("%s %s: could not reach the broker; the sweeper will send it again", what, row_id)
        return False
    mark_sent([row_id])
    return True


def send_chunk(chunk_id: int) -> bool:
    return _send(run_daily_chunk, chunk_id, daily.chunks_sent, "daily chunk")


def send_upload_job(job_id: int) -> bool:
    return _send(process_upload_job, job_id, files.upload_jobs_sent, "upload job")


def submit_upload_job(*, institution, uploaded_file, user=None) -> UploadJob:
    """Store an uploaded fee-line file as a job (claims.intake.files) and import it once the job is committed."""
    with transaction.atomic():
        job = files.create_upload_job(institution=institution, uploaded_file=uploaded_file, user=user)
        transaction.on_commit(lambda: send_upload_job(job.pk), robust=True)
    return job


def request_daily_job(run_date: dt.date, *, user=None, today: dt.date | None = None) -> None:
    """Start the daily job of a business date from the workspace: refused by claims.batch.jobs.check_startable
    (ServiceError on run_date), else start_daily_job is sent once the caller's transaction commits (it plans the
    job and sends its chunks in the worker, not in the request)."""
    daily.check_startable(run_date, today)
    log.info("daily job %s requested by %s", run_date, getattr(user, "pk", None))
    transaction.on_commit(lambda: _start_daily(run_date), robust=True)


def _start_daily(run_date: dt.date) -> None:
    try:
        start_daily_job.delay(run_date.isoformat())
    except OperationalError:
        log.exception("daily job %s: could not reach the broker; start it again later", run_date)


def resubmit_upload_job(job: UploadJob, *, user=None) -> bool:
    """Retry an upload job that failed for an internal reason (claims.intake.files.retry_upload_job) and send it
    once that is committed; False (nothing changed) for any other job."""
    with transaction.atomic():
        if not files.retry_upload_job(job):
            return False
        log.info("upload job %s retried by %s", job.pk, getattr(user, "pk", None))
        transaction.on_commit(lambda: send_upload_job(job.pk), robust=True)
    return True
