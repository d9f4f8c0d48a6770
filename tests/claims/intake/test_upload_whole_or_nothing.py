"""A bulk file lands whole or not at all, and a database backend lost in the middle of the import leaves the
same state as a rejected file: no row of it, and a job that can be taken again (issue 15)."""
import csv
import io
import threading
import time

import psycopg2
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection

from claims.intake import files
from claims.intake.services import register_visit
from claims.models import FeeLine, JobStatus, Upload, UploadJob
from tests.api.base import build_world, local

VISITS, LINES_PER_VISIT = 10, 300  # 3,000 rows


def big_file(mdtrt_ids) -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["mdtrt_id", "feedetl_sn", "med_list_codg", "cnt", "pric", "det_item_fee_sumamt"])
    for mdtrt_id in mdtrt_ids:
        for sn in range(LINES_PER_VISIT):
            writer.writerow([mdtrt_id, f"{sn:05d}", "250101001", "2", "12.50", "25.00"])
    return SimpleUploadedFile("big.csv", out.getvalue().encode("utf-8"), content_type="text/csv")


def terminate_when_writing(pid: int, outcome: dict) -> None:
    """From a connection of its own: wait until backend `pid` holds a write lock on the fee-line table (its
    import has inserted lines, uncommitted), then kill it."""
    params = connection.settings_dict
    killer = psycopg2.connect(dbname=params["NAME"], user=params["USER"], host=params["HOST"],
                              port=params["PORT"] or 5432, password=params["PASSWORD"] or None)
    killer.autocommit = True
    try:
        with killer.cursor() as cursor:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                cursor.execute("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                               "WHERE l.pid = %s AND c.relname = %s AND l.mode = 'RowExclusiveLock'",
                               [pid, FeeLine._meta.db_table])
                if cursor.fetchone()[0]:
                    cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
                    outcome["killed"] = cursor.fetchone()[0]
                    return
                time.sleep(0.005)
    finally:
        killer.close()


@pytest.mark.django_db(transaction=True)
def test_a_backend_killed_mid_import_leaves_no_row_and_the_job_can_be_retried(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    w = build_world()
    persons = ["P0001", "P0002"]
    visits = [register_visit(institution=w.inst_a, psn_no=persons[i % 2], med_type="21",
                             begntime=local(f"2026-03-{i + 1:02d}T09:00:00")) for i in range(VISITS)]
    job = files.create_upload_job(institution=w.inst_a, uploaded_file=big_file([v.mdtrt_id for v in visits]))

    connection.ensure_connection()
    outcome: dict = {}
    killer = threading.Thread(target=terminate_when_writing, args=(connection.connection.get_backend_pid(), outcome))
    killer.start()
    try:
        with pytest.raises(DatabaseError):
            files.process_upload_job(job.pk)
    finally:
        killer.join()
    assert outcome.get("killed") is True

    # the same state as a rejected file: nothing of it
    assert FeeLine.objects.count() == 0 and Upload.objects.count() == 0
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and (job.accepted, job.rows_done) == (0, 0)
    assert [e["code"] for e in job.errors] == ["INTERNAL_ERROR"]
    assert "terminat" not in job.errors[0]["message"]  # never the database's own text

    assert files.retry_upload_job(job)
    assert files.process_upload_job(job.pk)
    job = UploadJob.objects.get(pk=job.pk)
    assert (job.status, job.accepted, job.rejected, job.errors) == (JobStatus.DONE, 3000, 0, [])
    assert FeeLine.objects.count() == VISITS * LINES_PER_VISIT


@pytest.mark.django_db
def test_a_rejected_file_is_not_retried(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    w = build_world()
    visit = register_visit(institution=w.inst_a, psn_no="P0001", med_type="21", begntime=local("2026-03-02T09:00:00"))
    out = io.StringIO()
    csv.writer(out).writerows([["mdtrt_id", "feedetl_sn", "med_list_codg", "cnt", "pric", "det_item_fee_sumamt"],
                               [visit.mdtrt_id, "1", "250101001", "1", "1", "1.00"],
                               [visit.mdtrt_id, "2", "250101001", "1", "1", "9.99"]])
    job = files.create_upload_job(institution=w.inst_a, uploaded_file=SimpleUploadedFile("f.csv", out.getvalue().encode()))
    assert files.process_upload_job(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and [e["code"] for e in job.errors] == ["FILE_REJECTED", "VISIT_REJECTED",
                                                                              "AMOUNT_MISMATCH"]
    assert FeeLine.objects.count() == 0
    assert not files.retry_upload_job(job)
