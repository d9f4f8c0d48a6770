"""The daily job through a real Celery worker process and the real Redis broker (not eager mode)."""
import datetime as dt

import pytest

from claims import tasks
from claims.batch import jobs as daily
from claims.cases import load_reference_data
from claims.models import DailyJob, JobStatus, Settlement, Upload
from tests.claims.conftest import admit, case_doc, line, local
from tests.claims.workers import Worker, use_broker, wait_for


@pytest.fixture
def broker(transactional_db):
    yield from use_broker()


def test_daily_job_runs_in_a_worker_process(transactional_db, broker):
    load_reference_data(case_doc("01-employee-inpatient-tertiary.json"))
    admit("P0001", "H41080000001", [line(1, "XA01ABD075A002010100483", 1, "2000.00")], local(2026, 3, 2, 9),
          local(2026, 3, 10, 10))
    Upload.objects.update(created_at=local(2026, 3, 10, 18))
    job, _ = daily.create_job(dt.date(2026, 3, 10), chunks=2)
    worker = Worker()
    try:
        for chunk_id in job.chunks.values_list("pk", flat=True):
            assert tasks.send_chunk(chunk_id)  # to the broker: this process runs nothing itself
        wait_for(lambda: DailyJob.objects.filter(pk=job.pk, status__in=[JobStatus.DONE, JobStatus.FAILED]).exists(),
                 120, "the job to finish", worker)
    finally:
        output = worker.stop()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, f"job {job.status} {job.error} worker output: {output}"
    assert job.chunks_done == 2 and job.visits_settled == 1
    assert Settlement.objects.get().daily_job == DailyJob.objects.get()
