"""plan_job: a daily job's inputs fixed once, before any chunk runs (the day's visits by chunk, the audit's statistics)."""
import datetime as dt
from decimal import Decimal

import pytest

from claims.batch import jobs as daily
from claims.models import DailyJob, DailyJobChunk, JobStatus, Settlement, Upload, VisitStatus
from claims.settlement.services import cancel_settlement, settle_visit
from tests.claims.conftest import admit, line, local

AMOXICILLIN = "XA01ABD075A002010100483"
DAY = dt.date(2026, 3, 10)


def uploaded_on(visit, when: dt.datetime):
    Upload.objects.filter(lines__visit=visit).update(created_at=when)
    return visit


@pytest.fixture
def visits(case01):
    """Three visits uploaded on DAY (two discharged, one in hospital) and one uploaded the day before."""
    return {
        "discharged": uploaded_on(admit("P0001", "H41080000001", [line(1, AMOXICILLIN, 1, "2000.00")],
                                        local(2026, 3, 2, 9), local(2026, 3, 10, 10)), local(2026, 3, 10, 18)),
        "outpatient": uploaded_on(admit("P0001", "H41080000003", [line(1, AMOXICILLIN, 1, "500.00")],
                                        local(2026, 3, 10, 8), local(2026, 3, 10, 9), med_type="11"),
                                  local(2026, 3, 10, 9)),
        "in_hospital": uploaded_on(admit("P0001", "H41080000002", [line(1, AMOXICILLIN, 1, "100.00")],
                                         local(2026, 3, 9, 9), None), local(2026, 3, 10, 23, 59)),
        "yesterday": uploaded_on(admit("P0001", "H41080000002", [line(1, AMOXICILLIN, 2, "10.00")],
                                       local(2026, 3, 9, 8), None, med_type="11"), local(2026, 3, 9, 12)),
    }


@pytest.mark.parametrize("bulk", [True, False], ids=["bulk path", "ORM path"])
def test_each_chunk_gets_the_day_visits_of_its_persons(visits, settings, bulk):
    settings.DAILY_JOB_BULK = bulk
    job, created = daily.create_job(DAY, chunks=3)
    assert created and job.planned_at is not None
    person = visits["discharged"].person_id
    plan = dict(DailyJobChunk.objects.filter(job=job).values_list("chunk_no", "visit_ids"))
    today = sorted(visits[k].pk for k in ("discharged", "outpatient", "in_hospital"))
    assert plan[person % 3] == today
    assert all(ids == [] for no, ids in plan.items() if no != person % 3)


def test_the_plan_keeps_the_statistics_of_the_90_days_before_the_day(case01):
    run_date = dt.date(2026, 6, 20)  # the window: settlements from 2026-03-22 00:00 to 2026-06-19 24:00
    settled = []
    for begin, end, amount in ((local(2026, 3, 1, 9), local(2026, 3, 21, 23, 59), "700.00"),  # 91 days before
                               (local(2026, 3, 20, 9), local(2026, 3, 22, 0, 0), "300.00"),   # the first moment
                               (local(2026, 5, 2, 9), local(2026, 5, 6, 10), "500.00"),
                               (local(2026, 5, 9, 9), local(2026, 5, 10, 10), "900.00"),     # cancelled below
                               (local(2026, 6, 18, 9), local(2026, 6, 20, 10), "800.00")):   # the day itself
        visit = admit("P0001", "H41080000001", [line(1, AMOXICILLIN, 1, amount)], begin, end)
        settled.append(settle_visit(visit, setl_time=end, audit=False))
    cancel_settlement(settled[3], reason="重复结算")
    job = DailyJob.objects.create(run_date=run_date, chunks_total=1)
    daily.plan_job(job)
    stats = job.audit_stats
    assert set(stats) == {"fixmedins_code", "med_type", "avg_amount_fen", "visits"}
    assert list(zip(*stats.values(), strict=True)) == [("H41080000001", "21", 40000, 2)]


def test_chunks_work_from_the_plan_made_when_the_job_was_created(visits):
    earlier = admit("P0001", "H41080000001", [line(1, AMOXICILLIN, 1, "300.00")], local(2026, 2, 2, 9),
                    local(2026, 2, 6, 10))
    earlier = settle_visit(earlier, setl_time=local(2026, 2, 6, 10), audit=False)
    job, _ = daily.create_job(DAY, chunks=2)
    planned = (job.audit_stats, job.planned_at)
    assert planned[0]["visits"] == [1]
    cancel_settlement(earlier, reason="撤销后重新结算")  # after planning: the job keeps its statistics
    for chunk_id in job.chunks.values_list("pk", flat=True):
        assert daily.run_chunk(chunk_id)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and (job.audit_stats, job.planned_at) == planned
    # the day's two discharged visits and the one whose settlement was cancelled (discharged again)
    assert job.visits_settled == 3 and job.lines_classified == 3


def test_a_job_created_without_a_plan_is_planned_by_its_first_chunk(visits):
    job, _ = daily.create_job(DAY, chunks=2)
    DailyJob.objects.filter(pk=job.pk).update(planned_at=None, audit_stats={})  # as a job of an earlier release
    DailyJobChunk.objects.filter(job=job).update(visit_ids=[])
    job = daily.run_day(DAY, chunks=2)
    assert job.status == JobStatus.DONE and job.planned_at is not None
    assert job.visits_settled == 2 and job.lines_classified == 3
    visits["discharged"].refresh_from_db()
    assert visits["discharged"].status == VisitStatus.SETTLED
    assert Settlement.objects.get(visit=visits["discharged"]).medfee_sumamt == Decimal("2000.00")
