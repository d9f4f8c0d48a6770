"""Upload jobs are leases (core.leases, claims.intake.files): a job whose enqueue failed (the broker down) is
re-sent by the sweeper, a lapsed one is taken again, a live one is not, and attempts are limited."""
import datetime as dt
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from kombu.exceptions import OperationalError

from claims import tasks
from claims.intake import files
from claims.models import JobStatus, UploadJob
from tests.factories import InstitutionFactory

# One row of a visit the institution does not have: the file is imported (read, checked, finished) and rejected
# whole, which is the job's finished state here (claims.intake.files: whole or not at all).
CSV = b"mdtrt_id,feedetl_sn,med_list_codg,cnt,pric,det_item_fee_sumamt\nM-UNKNOWN,1,XA01,1,10.00,10.00\n"
FINISHED = JobStatus.FAILED
CHECKED = ["FILE_REJECTED", "UNKNOWN_VISIT"]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def submit(broker_down: bool = False) -> UploadJob:
    institution = InstitutionFactory()
    upload = SimpleUploadedFile("lines.csv", CSV, content_type="text/csv")
    if not broker_down:
        return tasks.submit_upload_job(institution=institution, uploaded_file=upload)
    with mock.patch.object(tasks.process_upload_job, "delay", side_effect=OperationalError("connection refused")):
        return tasks.submit_upload_job(institution=institution, uploaded_file=upload)


def test_a_job_whose_enqueue_failed_stays_pending_and_the_sweeper_sends_it(transactional_db, media, settings):
    job = submit(broker_down=True)
    job.refresh_from_db()
    assert (job.status, job.enqueued_at, job.attempts) == (JobStatus.PENDING, None, 0)
    assert files.upload_jobs_to_send() == []  # too young: its send may still be on its way
    UploadJob.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - dt.timedelta(seconds=settings.JOB_RESEND_AFTER_SECONDS + 1))
    assert files.upload_jobs_to_send() == [job.pk]
    assert tasks.sweep_jobs() == {"chunks": [], "upload_jobs": [job.pk]}  # eager: imported at once
    job.refresh_from_db()
    assert job.status == FINISHED and job.enqueued_at is not None and job.attempts == 1
    assert job.rejected == 1 and [e["code"] for e in job.errors] == CHECKED
    assert files.upload_jobs_to_send() == []


def test_a_sent_job_is_marked_sent(transactional_db, media):
    job = submit()
    job.refresh_from_db()
    assert job.status == FINISHED and job.enqueued_at is not None and job.lease_owner == ""
    assert [e["code"] for e in job.errors] == CHECKED


def dead(job: UploadJob, *, lapsed: bool = True, attempts: int = 1) -> None:
    UploadJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, lease_owner="dead", attempts=attempts,
        lease_expires_at=timezone.now() + dt.timedelta(seconds=-5 if lapsed else 300))


def test_a_lapsed_job_is_taken_again_a_live_one_is_not(db, media):
    with mock.patch.object(tasks.process_upload_job, "delay"):
        job = submit()
    dead(job, lapsed=False)
    assert files.process_upload_job(job.pk, wait=False) is False
    assert UploadJob.objects.get(pk=job.pk).lease_owner == "dead"
    assert files.upload_jobs_to_send() == []
    dead(job)
    assert files.upload_jobs_to_send() == [job.pk]
    assert files.process_upload_job(job.pk, wait=False) is True
    job.refresh_from_db()
    assert (job.status, job.attempts, job.rows_done, job.lease_owner) == (FINISHED, 2, 1, "")
    assert [e["code"] for e in job.errors] == CHECKED


def test_a_job_out_of_attempts_fails_with_the_reason_in_its_errors(db, media, settings):
    with mock.patch.object(tasks.process_upload_job, "delay"):
        job = submit()
    dead(job, attempts=settings.JOB_MAX_ATTEMPTS)
    assert files.upload_jobs_to_send() == []
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.finished_at is not None
    assert [e["code"] for e in job.errors] == ["WORKER_LOST"]
    assert files.process_upload_job(job.pk, wait=False) is False
