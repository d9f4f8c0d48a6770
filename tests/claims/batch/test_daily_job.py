import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from claims.batch import jobs as daily
from claims.intake.services import register_visit, upload_fee_lines
from claims.models import (
    DailyJob,
    DailyJobChunk,
    FeeLine,
    InstitutionDailySummary,
    JobStatus,
    Settlement,
    Upload,
    VisitStatus,
)
from insurance.models import Institution
from tests.claims.conftest import admit, line, local

AMOXICILLIN = "XA01ABD075A002010100483"
DAY = dt.date(2026, 3, 10)


@pytest.fixture
def day_of_uploads(case01):
    """Two discharged visits and one still in hospital, all uploaded on DAY."""
    discharged = [
        admit("P0001", "H41080000001", [line(1, AMOXICILLIN, 1, "2000.00")], local(2026, 3, 2, 9),
              local(2026, 3, 10, 10)),
        admit("P0001", "H41080000003", [line(1, AMOXICILLIN, 1, "500.00"), line(2, "NOT-LISTED", 1, "20.00")],
              local(2026, 3, 10, 8), local(2026, 3, 10, 9), med_type="21"),
    ]
    in_hospital = register_visit(institution=Institution.objects.get(fixmedins_code="H41080000002"),
                                 psn_no="P0001", med_type="21", begntime=local(2026, 3, 9, 9))
    upload_fee_lines(in_hospital, [line(1, AMOXICILLIN, 1, "100.00")])
    Upload.objects.update(created_at=local(2026, 3, 10, 18))
    FeeLine.objects.update(inscp_scp_amt=None, reason="")  # as a bulk file upload leaves them
    return discharged, in_hospital


def test_daily_job_classifies_settles_and_summarises(day_of_uploads):
    discharged, in_hospital = day_of_uploads
    job = daily.run_day(DAY, chunks=3)
    assert job.status == JobStatus.DONE and job.chunks_done == 3
    assert job.lines_classified == 4 and job.visits_settled == 2 and job.visits_held == 0
    assert not FeeLine.objects.filter(inscp_scp_amt__isnull=True).exists()
    for v in discharged:
        v.refresh_from_db()
        assert v.status == VisitStatus.SETTLED
    in_hospital.refresh_from_db()
    assert in_hospital.status == VisitStatus.REGISTERED
    settlements = Settlement.objects.filter(daily_job=job).order_by("setl_time")
    assert [s.setl_time for s in settlements] == [local(2026, 3, 10, 9), local(2026, 3, 10, 10)]
    summary = {s.institution.fixmedins_code: s for s in InstitutionDailySummary.objects.filter(job=job)}
    assert summary["H41080000001"].settled == 1 and summary["H41080000001"].lines == 1
    assert summary["H41080000003"].medfee_sumamt == Decimal("520.00")
    assert summary["H41080000002"].lines == 1 and summary["H41080000002"].settled == 0


def test_a_second_run_changes_nothing(day_of_uploads):
    first = daily.run_day(DAY, chunks=2)
    before = (Settlement.objects.count(), InstitutionDailySummary.objects.count(), first.finished_at)
    second = daily.run_day(DAY, chunks=2)
    assert second.pk == first.pk
    assert (Settlement.objects.count(), InstitutionDailySummary.objects.count(), second.finished_at) == before


def test_a_claimed_chunk_is_not_run_twice(day_of_uploads):
    job, created = daily.create_job(DAY, chunks=1)
    assert created
    chunk = DailyJobChunk.objects.get(job=job)
    assert daily.run_chunk(chunk.pk) is True
    assert daily.run_chunk(chunk.pk) is False
    assert Settlement.objects.count() == 2


def test_the_command_prints_a_summary(day_of_uploads, capsys):
    call_command("run_daily", "--date", "2026-03-10", "--chunks", "2")
    out = capsys.readouterr().out
    assert "visits settled 2" in out and "H41080000001" in out
    assert DailyJob.objects.get(run_date=DAY).status == JobStatus.DONE


def test_the_batch_records_one_history_event_per_settlement_with_its_context(day_of_uploads):
    """Settlements' history triggers run once per statement: every settlement still gets its insert event,
    with the job's context (who, when and why) attached."""
    job = daily.run_day(DAY, chunks=1)
    settlements = Settlement.objects.filter(daily_job=job)
    events = Settlement.pgh_event_model.objects.filter(pgh_obj__in=settlements)
    assert sorted(events.values_list("pgh_label", "setl_id")) == sorted(
        ("insert", s.setl_id) for s in settlements)
    contexts = {e.pgh_context.metadata["daily_job"] for e in events.select_related("pgh_context")}
    assert contexts == {job.pk}
