"""Celery tasks: thin, take ids, idempotent, enqueued on commit. Job state lives on the models."""
import datetime as dt

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from claims.batch import jobs as daily


@shared_task(acks_late=True)
def start_daily_job(run_date: str | None = None) -> int:
    """Create the day's job (default: yesterday) and enqueue one task per pending chunk."""
    day = dt.date.fromisoformat(run_date) if run_date else timezone.localdate() - dt.timedelta(days=1)
    job, _ = daily.create_job(day)
    for chunk_id in job.chunks.filter(status=daily.JobStatus.PENDING).values_list("pk", flat=True):
        transaction.on_commit(lambda cid=chunk_id: run_daily_chunk.delay(cid))
    return job.pk


@shared_task(acks_late=True)
def run_daily_chunk(chunk_id: int) -> bool:
    return daily.run_chunk(chunk_id)


@shared_task(acks_late=True)
def process_upload_job(job_id: int) -> bool:
    """Import an uploaded fee-line file (claims.intake.files); a job already taken is left alone."""
    from claims.intake import files as bulk_upload

    return bulk_upload.process_upload_job(job_id)
