"""The daily job through a real Celery worker process and the real Redis broker (not eager mode)."""
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from claims.batch import jobs as daily
from claims.models import DailyJob, JobStatus, Settlement, Upload
from config.celery import app
from tests.claims.conftest import admit, case_doc, line, local

ROOT = Path(__file__).resolve().parents[3]
BROKER = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")


def _redis_up() -> bool:
    import redis
    try:
        return redis.Redis.from_url(BROKER, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        return False


@pytest.fixture
def worker(live_server_db_url):
    if not _redis_up():
        pytest.fail(f"Redis is not reachable at {BROKER}: start it (redis-server --daemonize yes) to run this test")
    env = {**os.environ, "DATABASE_URL": live_server_db_url, "CELERY_BROKER_URL": BROKER, "DEBUG": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "--concurrency", "1",
         "--loglevel", "warning", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def live_server_db_url(transactional_db):
    s = connection.settings_dict
    return f"postgresql://{s['USER'] or 'postgres'}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def broker(settings):
    app.conf.broker_url = BROKER
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


def test_daily_job_runs_in_a_worker_process(transactional_db, broker, worker):
    from claims.cases import load_reference_data
    load_reference_data(case_doc("01-employee-inpatient-tertiary.json"))
    admit("P0001", "H41080000001", [line(1, "XA01ABD075A002010100483", 1, "2000.00")], local(2026, 3, 2, 9),
          local(2026, 3, 10, 10))
    Upload.objects.update(created_at=local(2026, 3, 10, 18))
    job, _ = daily.create_job(dt.date(2026, 3, 10), chunks=2)
    from claims.tasks import run_daily_chunk
    for chunk_id in job.chunks.values_list("pk", flat=True):
        run_daily_chunk.apply_async((chunk_id,), queue="celery")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in (JobStatus.DONE, JobStatus.FAILED) or worker.poll() is not None:
            break
        time.sleep(0.5)
    output = "" if worker.poll() is None else worker.stdout.read().decode(errors="replace")
    assert job.status == JobStatus.DONE, f"job {job.status} {job.error} worker output: {output}"
    assert job.chunks_done == 2 and job.visits_settled == 1
    assert Settlement.objects.get().daily_job == DailyJob.objects.get()
