"""Chunks are leases (core.leases, claims.batch.jobs): a lapsed lease is taken again, a live one is not, a stale
holder cannot finish, attempts are limited, the sweeper and run_daily finish a job left by a dead worker."""
import datetime as dt
import io

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.utils import timezone

from claims import tasks
from claims.batch import jobs as daily
from claims.models import DailyJob, DailyJobChunk, JobStatus
from config.celery import app
from core import leases

DAY = dt.date(2026, 3, 16)


def left_by_a_dead_worker(chunk: DailyJobChunk, *, lapsed: bool = True, attempts: int = 1) -> DailyJobChunk:
    """The chunk as a killed worker leaves it: running, its lease expired (or not yet)."""
    when = timezone.now() + dt.timedelta(seconds=-5 if lapsed else 300)
    DailyJobChunk.objects.filter(pk=chunk.pk).update(status=JobStatus.RUNNING, lease_owner="dead",
                                                     lease_expires_at=when, attempts=attempts)
    DailyJob.objects.filter(pk=chunk.job_id).update(status=JobStatus.RUNNING)
    chunk.refresh_from_db()
    return chunk


@pytest.fixture
def job(db):
    job, _ = daily.create_job(DAY, chunks=2)
    return job


def test_a_lapsed_chunk_is_taken_again_and_finished(job):
    chunk = left_by_a_dead_worker(job.chunks.get(chunk_no=0))
    assert daily.run_chunk(chunk.pk, wait=False) is True
    chunk.refresh_from_db()
    assert (chunk.status, chunk.attempts, chunk.lease_owner, chunk.lease_expires_at) == (JobStatus.DONE, 2, "", None)


def test_a_live_lease_is_not_taken(job):
    chunk = left_by_a_dead_worker(job.chunks.get(chunk_no=0), lapsed=False)
    assert daily.run_chunk(chunk.pk, wait=False) is False
    chunk.refresh_from_db()
    assert (chunk.status, chunk.attempts, chunk.lease_owner) == (JobStatus.RUNNING, 1, "dead")


def test_a_delivered_copy_waits_for_a_dead_workers_lease_to_lapse(job):
    chunk = job.chunks.get(chunk_no=0)
    left_by_a_dead_worker(chunk, lapsed=False)
    DailyJobChunk.objects.filter(pk=chunk.pk).update(lease_expires_at=timezone.now() + dt.timedelta(seconds=1))
    assert daily.run_chunk(chunk.pk) is True  # wait=True: the task's way
    chunk.refresh_from_db()
    assert chunk.status == JobStatus.DONE and chunk.attempts == 2


def test_a_stale_holder_cannot_finish(job):
    chunk = job.chunks.get(chunk_no=0)
    taken = leases.claim(DailyJobChunk, chunk.pk, lease_seconds=60)
    assert taken is not None and taken.attempts == 1
    assert leases.claim(DailyJobChunk, chunk.pk, lease_seconds=60) is None  # live: nobody else takes it
    DailyJobChunk.objects.filter(pk=chunk.pk).update(lease_owner="successor")  # another worker took over
    with pytest.raises(leases.LeaseLost):
        leases.release(DailyJobChunk, chunk.pk, taken.token, status=JobStatus.DONE)
    assert DailyJobChunk.objects.get(pk=chunk.pk).status == JobStatus.RUNNING


def test_a_chunk_out_of_attempts_fails_its_job_with_the_reason_and_run_daily_reopens_it(job, settings):
    chunk = left_by_a_dead_worker(job.chunks.get(chunk_no=0), attempts=settings.JOB_MAX_ATTEMPTS)
    assert daily.run_chunk(chunk.pk, wait=False) is False
    chunk.refresh_from_db()
    job.refresh_from_db()
    assert chunk.status == JobStatus.FAILED and chunk.error == daily.CHUNK_ABANDONED
    assert job.status == JobStatus.FAILED and job.error == f"chunk 0: {daily.CHUNK_ABANDONED}"
    call_command("run_daily", "--date", DAY.isoformat(), stdout=io.StringIO())
    chunk.refresh_from_db()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and chunk.status == JobStatus.DONE and chunk.attempts == 1


def test_run_daily_completes_a_job_left_running_by_a_dead_worker(job):
    left_by_a_dead_worker(job.chunks.get(chunk_no=0))
    call_command("run_daily", "--date", DAY.isoformat(), stdout=io.StringIO())
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.chunks_done == 2
    assert not job.chunks.exclude(status=JobStatus.DONE).exists()


def test_the_sweeper_resends_lapsed_and_never_sent_chunks_only(job, settings):
    """Eager here (no broker): a re-sent chunk runs at once."""
    lapsed = left_by_a_dead_worker(job.chunks.get(chunk_no=0))
    never_sent = job.chunks.get(chunk_no=1)
    assert daily.chunks_to_send() == [lapsed.pk]  # the job was just created: its pending chunk may still be sent
    DailyJob.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - dt.timedelta(seconds=settings.JOB_RESEND_AFTER_SECONDS + 1))
    assert daily.chunks_to_send() == [lapsed.pk, never_sent.pk]
    assert tasks.sweep_jobs() == {"chunks": [lapsed.pk, never_sent.pk], "upload_jobs": []}
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert daily.chunks_to_send() == []


def test_a_sent_chunk_is_not_sent_again_until_the_resend_delay(job, settings):
    DailyJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(days=1))
    daily.chunks_sent(job.chunks.values_list("pk", flat=True))
    assert daily.chunks_to_send() == []
    DailyJobChunk.objects.update(enqueued_at=timezone.now() - dt.timedelta(
        seconds=settings.JOB_RESEND_AFTER_SECONDS + 1))
    assert len(daily.chunks_to_send()) == 2


def test_the_sweeper_is_a_beat_entry_and_a_task():
    entry = django_settings.CELERY_BEAT_SCHEDULE["job-lease-sweeper"]
    assert entry["task"] == "claims.tasks.sweep_jobs" and entry["schedule"] == django_settings.JOB_SWEEP_SECONDS
    assert "claims.tasks.sweep_jobs" in app.tasks


def test_the_celery_settings_that_leases_rely_on():
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1
    # the broker hands a dead worker's task back before the lease lapses; the copy then waits for the lapse
    assert app.conf.broker_transport_options["visibility_timeout"] < django_settings.JOB_LEASE_SECONDS


def test_the_heartbeat_renews_a_live_lease_and_a_delivered_copy_then_ends(transactional_db):
    """Committed rows, a heartbeat thread on its own connection: the lease moves forward while the holder works,
    so a second delivery of the task sees its holder alive and ends without taking the chunk."""
    job, _ = daily.create_job(DAY, chunks=1)
    chunk = job.chunks.get()
    taken = leases.claim(DailyJobChunk, chunk.pk, lease_seconds=2)
    first = DailyJobChunk.objects.get(pk=chunk.pk).lease_expires_at
    with leases.Heartbeat(DailyJobChunk, chunk.pk, taken.token, lease_seconds=2) as beat:
        assert leases.wait_for_lapse(DailyJobChunk, chunk.pk, lease_seconds=2, poll=0.1) is False
        assert daily.run_chunk(chunk.pk) is False
        assert not beat.lost.is_set()
    chunk.refresh_from_db()
    assert chunk.lease_expires_at > first and chunk.lease_owner == taken.token and chunk.attempts == 1
