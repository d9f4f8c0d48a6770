"""Fault injection with real Celery workers: a worker killed (SIGKILL) in the middle of importing a fee-line file,
and the upload job still finishes by itself, with the same fee lines and the same report as a clean import."""
import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from claims import tasks
from claims.intake import files
from claims.intake.services import register_visit
from claims.models import FeeLine, JobStatus, UploadJob
from insurance.models import Institution, Person
from policy_rules.models import CatalogItem
from tests.claims.workers import Blocker, Worker, digest, use_broker, wait_for

DAY = dt.date(2026, 3, 16)
PACK = Path(__file__).resolve().parents[3] / "policy_rules" / "fixtures" / "demo-city-2026.json"
VISITS, LINES_PER_VISIT = 120, 5


def fee_lines() -> str:
    return digest(FeeLine.objects.values_list(
        "visit__mdtrt_id", "feedetl_sn", "med_list_codg", "cnt", "pric", "det_item_fee_sumamt", "status",
        "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt", "chrgitm_lv", "reason"))


def report(job: UploadJob) -> tuple:
    job.refresh_from_db()
    return job.status, job.rows_total, job.rows_done, job.accepted, job.rejected, job.errors


def upload_file(mdtrt_ids: list[str], codes: list[str]) -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["mdtrt_id", "feedetl_sn", "med_list_codg", "cnt", "pric", "det_item_fee_sumamt"])
    for v, mdtrt_id in enumerate(mdtrt_ids):
        for i in range(LINES_PER_VISIT):
            writer.writerow([mdtrt_id, f"L{v}-{i}", codes[(v * LINES_PER_VISIT + i) % len(codes)], "2", "12.50",
                             "25.00"])
    return SimpleUploadedFile("lines.csv", out.getvalue().encode(), content_type="text/csv")


def import_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0] > 0


@pytest.fixture
def broker(transactional_db):
    yield from use_broker()


@pytest.mark.slow
def test_a_worker_killed_mid_import_leaves_a_job_that_finishes_by_itself(transactional_db, broker, settings,
                                                                         tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("import_policy", str(PACK))
    call_command("synth_city", "--persons", f"{VISITS}", "--institutions", "5", "--days", "1", "--visits-per-day",
                 "1", "--seed", "3", "--start-date", DAY.isoformat(), "--catalog-items", "200")
    institution = Institution.objects.order_by("pk").first()
    begin = timezone.make_aware(dt.datetime.combine(DAY, dt.time(9)))
    mdtrt_ids = [register_visit(institution=institution, psn_no=p.psn_no, med_type="11", begntime=begin).mdtrt_id
                 for p in Person.objects.order_by("pk")[:VISITS]]
    codes = list(CatalogItem.objects.order_by("pk").values_list("med_list_codg", flat=True)[:40])

    with transaction.atomic():  # the clean import, in this process, rolled back
        clean = files.create_upload_job(institution=institution, uploaded_file=upload_file(mdtrt_ids, codes))
        assert files.process_upload_job(clean.pk)
        expected_lines, expected_report = fee_lines(), report(clean)[1:]
        assert clean.status == JobStatus.DONE and clean.accepted > VISITS * LINES_PER_VISIT // 2
        transaction.set_rollback(True)

    # A visit in the middle of the file locked: the import is claimed, goes in, then waits at that visit.
    blocker = Blocker("SELECT id FROM claims_visit WHERE mdtrt_id = %s FOR UPDATE", [mdtrt_ids[VISITS // 2]])
    first = Worker(MEDIA_ROOT=str(tmp_path))
    try:
        job = tasks.submit_upload_job(institution=institution, uploaded_file=upload_file(mdtrt_ids, codes))
        assert UploadJob.objects.get(pk=job.pk).enqueued_at is not None
        wait_for(lambda: UploadJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING).exists()
                 and import_waits_for_a_lock(), 120, "the import to wait mid-file", first)
        first.kill()
    finally:
        blocker.release()
        first.stop()
    assert UploadJob.objects.get(pk=job.pk).status == JobStatus.RUNNING

    second = Worker(MEDIA_ROOT=str(tmp_path))
    try:
        def finished() -> bool:
            tasks.sweep_jobs()
            return UploadJob.objects.filter(pk=job.pk, status__in=[JobStatus.DONE, JobStatus.FAILED]).exists()
        wait_for(finished, 120, "the upload job to finish", second)
    finally:
        output = second.stop()
    got = report(job)
    assert got[0] == JobStatus.DONE, f"{got} {output}"
    assert job.attempts >= 2 and job.lease_owner == ""
    assert got[1:] == expected_report
    assert fee_lines() == expected_lines
