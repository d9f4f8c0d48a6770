"""The job pages (/ws/jobs/): the daily and upload jobs for every bureau role, their htmx polling partials, and
the supervisor's buttons (start the daily job of a business date, retry a failed upload job) through claims.tasks,
which Celery runs eagerly in the tests (CELERY_BROKER_URL empty)."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from claims.batch.jobs import CHUNK_ABANDONED
from claims.intake import files
from claims.intake.services import register_visit
from claims.models import DailyJob, DailyJobChunk, FeeLine, JobStatus, QuarantinedVisit, UploadJob
from tests.factories import local_dt as local

from .conftest import make_person

ROLES = ["caseworker", "reviewer", "appeal_reviewer", "supervisor"]
HX = {"HTTP_HX_REQUEST": "true"}


def running_job(world) -> DailyJob:
    """A daily job of 2026-03-10 with four chunks: two done, one running under a live lease, one pending."""
    job = DailyJob.objects.create(run_date=dt.date(2026, 3, 10), status=JobStatus.RUNNING, chunks_total=4,
                                  chunks_done=2, started_at=timezone.now(), planned_at=timezone.now())
    soon = timezone.now() + dt.timedelta(minutes=2)
    for no, status in enumerate([JobStatus.DONE, JobStatus.DONE, JobStatus.RUNNING, JobStatus.PENDING]):
        DailyJobChunk.objects.create(
            job=job, chunk_no=no, status=status, attempts=1 if status != JobStatus.PENDING else 0,
            lines_classified=10 * (no + 1) if status == JobStatus.DONE else 0,
            visits_settled=no + 1 if status == JobStatus.DONE else 0,
            lease_owner="a1b2c3" if status == JobStatus.RUNNING else "",
            lease_expires_at=soon if status == JobStatus.RUNNING else None)
    QuarantinedVisit.objects.create(visit=world.settled_visit().visit, job=job, chunk_no=1,
                                    reason="AMOUNT_OUT_OF_RANGE", field="det_item_fee_sumamt")
    return job


def fee_file(visit) -> SimpleUploadedFile:
    out = io.StringIO()
    csv.writer(out).writerows([["mdtrt_id", "feedetl_sn", "med_list_codg", "cnt", "pric", "det_item_fee_sumamt"],
                               [visit.mdtrt_id, "1", "250101001", "1", "25.00", "25.00"]])
    return SimpleUploadedFile("lines.csv", out.getvalue().encode())


@pytest.fixture
def upload_job(world, settings, tmp_path) -> UploadJob:
    """An upload job whose import stopped for an internal reason (nothing written): the retry's case."""
    settings.MEDIA_ROOT = str(tmp_path)
    make_person("P7001")
    visit = register_visit(institution=world.inst_a, psn_no="P7001", med_type="21", begntime=local(2026, 3, 2, 9))
    job = files.create_upload_job(institution=world.inst_a, uploaded_file=fee_file(visit), user=world.hosp_a)
    UploadJob.objects.filter(pk=job.pk).update(
        status=JobStatus.FAILED, attempts=1, finished_at=timezone.now(),
        errors=[{"row": None, "mdtrt_id": "", "feedetl_sn": "", "field": "", "code": "INTERNAL_ERROR",
                 "message": "导入中断，未导入任何明细；可重试。"}])
    job.refresh_from_db()
    return job


# --- pages and permissions --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_bureau_role_sees_the_job_pages(world, login, upload_job, role):
    job = running_job(world)
    client = login(getattr(world, role))
    for url in (reverse("workspace:jobs"), reverse("workspace:daily-job", args=[job.pk]),
                reverse("workspace:upload-job", args=[upload_job.pk])):
        assert client.get(url).status_code == 200, url
    page = client.get(reverse("workspace:jobs")).content.decode()
    assert "2026-03-10" in page and "lines.csv" in page
    # the start form and the retry button only for the supervisor
    assert ('name="run_date"' in page) == (role == "supervisor")
    upload_page = client.get(reverse("workspace:upload-job", args=[upload_job.pk])).content.decode()
    assert (reverse("workspace:upload-job-retry", args=[upload_job.pk]) in upload_page) == (role == "supervisor")


def test_others_are_refused_the_job_pages(world, client, upload_job):
    job = running_job(world)
    urls = [reverse("workspace:jobs"), reverse("workspace:daily-job", args=[job.pk]),
            reverse("workspace:upload-job", args=[upload_job.pk])]
    for url in urls:
        assert client.get(url).status_code == 302  # anonymous: to the login page
    for user in (world.nobody, world.hosp_a):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 403, (user, url)


@pytest.mark.parametrize("role", ["caseworker", "reviewer", "appeal_reviewer"])
def test_only_a_supervisor_starts_or_retries(world, login, upload_job, role, django_capture_on_commit_callbacks):
    client = login(getattr(world, role))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert client.post(reverse("workspace:daily-job-start"), {"run_date": "2026-03-10"}).status_code == 403
        assert client.post(reverse("workspace:upload-job-retry", args=[upload_job.pk])).status_code == 403
    assert callbacks == [] and not DailyJob.objects.exists()
    upload_job.refresh_from_db()
    assert upload_job.status == JobStatus.FAILED


def test_the_daily_job_page_shows_its_progress(world, login):
    job = running_job(world)
    r = login(world.caseworker).get(reverse("workspace:daily-job", args=[job.pk]))
    ctx = r.context
    assert (ctx["chunks_done"], ctx["chunks_total"], ctx["percent"]) == (2, 4, 50)
    assert (ctx["lines"], ctx["settled"], ctx["quarantined"], ctx["attempts"]) == (30, 3, 1, 3)
    html = r.content.decode()
    assert "a1b2c3" in html  # the running chunk's lease owner
    assert 'hx-trigger="every 2s"' in html and "htmx.min.js" in html


def test_the_polling_partial_is_the_progress_alone_and_stops_when_done(world, login):
    job = running_job(world)
    client = login(world.caseworker)
    url = reverse("workspace:daily-job", args=[job.pk])
    r = client.get(url, **HX)
    html = r.content.decode()
    assert r.status_code == 200 and html.startswith('<div id="job-progress"') and "<html" not in html
    assert f'hx-get="{url}"' in html and 'hx-trigger="every 2s"' in html
    # a chunk finishes: the next poll shows it
    chunk = job.chunks.get(chunk_no=2)
    DailyJobChunk.objects.filter(pk=chunk.pk).update(status=JobStatus.DONE, lines_classified=5, visits_settled=2,
                                                     lease_owner="", lease_expires_at=None)
    assert client.get(url, **HX).context["chunks_done"] == 3
    # the job is done: the partial carries no trigger any more, so htmx stops polling
    DailyJobChunk.objects.filter(job=job).update(status=JobStatus.DONE, lease_owner="", lease_expires_at=None)
    DailyJob.objects.filter(pk=job.pk).update(status=JobStatus.DONE, chunks_done=4, finished_at=timezone.now())
    html = client.get(url, **HX).content.decode()
    assert "hx-trigger" not in html and "已完成" in html


def test_the_list_polls_while_a_job_is_active(world, login):
    client = login(world.reviewer)
    assert "hx-trigger" not in client.get(reverse("workspace:jobs")).content.decode()
    running_job(world)
    r = client.get(reverse("workspace:jobs"), **HX)
    html = r.content.decode()
    assert html.startswith('<div id="job-lists"') and 'hx-trigger="every 3s"' in html and "2026-03-10" in html


def test_a_failed_job_says_its_error_in_words(world, login):
    job = DailyJob.objects.create(run_date=dt.date(2026, 3, 9), status=JobStatus.FAILED, chunks_total=1,
                                  error=f"chunk 0: {CHUNK_ABANDONED}")
    DailyJobChunk.objects.create(job=job, chunk_no=0, status=JobStatus.FAILED, attempts=3, error=CHUNK_ABANDONED)
    html = login(world.caseworker).get(reverse("workspace:daily-job", args=[job.pk])).content.decode()
    assert "多次丢失" in html
    assert "JOB_MAX_ATTEMPTS" not in html  # the technical text only for those who can act on it
    html = login(world.supervisor).get(reverse("workspace:daily-job", args=[job.pk])).content.decode()
    assert "JOB_MAX_ATTEMPTS" in html


def test_the_upload_job_page_lists_its_errors(world, login, upload_job):
    r = login(world.caseworker).get(reverse("workspace:upload-job", args=[upload_job.pk]))
    assert r.context["retryable"] and r.context["errors_total"] == 1
    assert "导入中断" in r.content.decode()


def test_unknown_jobs_are_404(world, login):
    client = login(world.supervisor)
    assert client.get(reverse("workspace:daily-job", args=[999999])).status_code == 404
    assert client.get(reverse("workspace:upload-job", args=[999999])).status_code == 404
    assert client.post(reverse("workspace:upload-job-retry", args=[999999])).status_code == 404


# --- starting the daily job ----------------------------------------------------------------------------


def test_a_supervisor_starts_the_daily_job_and_it_runs(world, login, django_capture_on_commit_callbacks):
    world.settled_visit()
    client = login(world.supervisor)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        r = client.post(reverse("workspace:daily-job-start"), {"run_date": "2026-03-10"})
    assert r.status_code == 302 and r["Location"] == reverse("workspace:jobs")
    assert callbacks  # enqueued on commit, not before
    job = DailyJob.objects.get(run_date=dt.date(2026, 3, 10))  # eager Celery: planned and run by now
    assert job.status == JobStatus.DONE and job.chunks_done == job.chunks_total
    page = client.get(reverse("workspace:jobs")).content.decode()
    assert "2026-03-10" in page


def test_nothing_is_enqueued_before_the_commit(world, login, django_capture_on_commit_callbacks):
    client = login(world.supervisor)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert client.post(reverse("workspace:daily-job-start"), {"run_date": "2026-03-10"}).status_code == 302
    assert len(callbacks) == 1 and not DailyJob.objects.exists()


@pytest.mark.parametrize("value, message", [
    ("", "该字段是必填项"),
    ("2026-02-30", "输入一个有效的日期"),
    ("tomorrow", "输入一个有效的日期"),
])
def test_a_malformed_date_is_refused_naming_the_field(world, login, value, message,
                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        r = login(world.supervisor).post(reverse("workspace:daily-job-start"), {"run_date": value})
    assert r.status_code == 400 and callbacks == []
    assert "run_date" in r.context["form"].errors
    html = r.content.decode()
    assert "业务日期" in html and message in html


def test_a_future_date_is_refused(world, login, django_capture_on_commit_callbacks):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        r = login(world.supervisor).post(reverse("workspace:daily-job-start"), {"run_date": tomorrow.isoformat()})
    assert r.status_code == 400 and callbacks == [] and not DailyJob.objects.exists()
    assert r.context["form"].errors["run_date"] == [f"业务日期 {tomorrow.isoformat()} 是将来的日期。"]


@pytest.mark.parametrize("status, refused", [(JobStatus.PENDING, True), (JobStatus.RUNNING, True),
                                             (JobStatus.DONE, True), (JobStatus.FAILED, False)])
def test_a_date_whose_job_is_running_is_refused(world, login, status, refused, django_capture_on_commit_callbacks):
    DailyJob.objects.create(run_date=dt.date(2026, 3, 10), status=status, chunks_total=0)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        r = login(world.supervisor).post(reverse("workspace:daily-job-start"), {"run_date": "2026-03-10"})
    assert (r.status_code == 400) == refused and bool(callbacks) != refused
    if refused:
        assert "run_date" in r.context["form"].errors


# --- retrying an upload job -----------------------------------------------------------------------------


def test_a_supervisor_retries_a_failed_upload_job(world, login, upload_job, django_capture_on_commit_callbacks):
    client = login(world.supervisor)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        r = client.post(reverse("workspace:upload-job-retry", args=[upload_job.pk]))
    assert r.status_code == 302 and r["Location"] == reverse("workspace:upload-job", args=[upload_job.pk])
    assert callbacks
    upload_job.refresh_from_db()  # eager Celery: imported by now
    assert (upload_job.status, upload_job.accepted, upload_job.errors) == (JobStatus.DONE, 1, [])
    assert FeeLine.objects.filter(visit__mdtrt_id__isnull=False, feedetl_sn="1",
                                  visit__person__psn_no="P7001").count() == 1


def test_a_job_that_cannot_be_retried_is_409(world, login, upload_job, django_capture_on_commit_callbacks):
    UploadJob.objects.filter(pk=upload_job.pk).update(errors=[{"row": 2, "mdtrt_id": "", "feedetl_sn": "1",
                                                               "field": "cnt", "code": "FILE_REJECTED",
                                                               "message": "文件中有 1 行错误"}])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        r = login(world.supervisor).post(reverse("workspace:upload-job-retry", args=[upload_job.pk]))
    assert r.status_code == 409 and callbacks == []
    upload_job.refresh_from_db()
    assert upload_job.status == JobStatus.FAILED
