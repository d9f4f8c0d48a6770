"""Celery tasks: thin, take ids, idempotent, enqueued on commit. Job state lives on the models."""
import datetime as dt

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from claims.batch import jobs as daily
from claims.intake import files
from claims.models import UploadJob


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
    return files.process_upload_job(job_id)


def submit_upload_job(*, institution, uploaded_file, user=None) -> UploadJob:
    """Store an uploaded fee-line file as a job (claims.intake.files) and import it once the job is committed."""
    with transaction.atomic():
        job = files.create_upload_job(institution=institution, uploaded_file=uploaded_file, user=user)
        transaction.on_commit(lambda: process_upload_job.delay(job.pk), robust=True)
    return job
