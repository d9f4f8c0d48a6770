"""Fault injection with real Celery workers: a worker killed (SIGKILL) in the middle of a daily chunk, and the
job still finishes by itself, with the same settlements, accumulators and accounts as a clean run, to the fen."""
import datetime as dt
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction

from claims import tasks
from claims.batch import jobs as daily
from claims.models import Accumulator, DailyJob, DailyJobChunk, JobStatus, Settlement, SettlementAccumulation
from insurance.models import AccountMovement, PersonalAccount
from tests.claims.workers import Blocker, Worker, digest, use_broker, wait_for

DAY = dt.date(2026, 3, 16)
PACK = Path(__file__).resolve().parents[3] / "policy_rules" / "fixtures" / "demo-city-2026.json"
CHUNKS = 4
AMOUNTS = ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
           "act_pay_dedc", "hifp_pay", "hifob_pay", "hifmi_pay", "maf_pay", "fund_pay_sumamt", "psn_part_amt",
           "acct_pay", "psn_cash_pay", "balc", "ineligible_reason", "setl_time", "status")


def money() -> dict[str, str]:
    """The day's money, each table as a digest of its rows (keys that do not depend on ids or random setl_ids)."""
    return {
        "settlements": digest(Settlement.objects.values_list("visit__mdtrt_id", "med_type", *AMOUNTS)),
        "accumulators": digest(Accumulator.objects.values_list("person__psn_no", "year", "kind", "key", "amount")),
        "deltas": digest(SettlementAccumulation.objects.values_list("settlement__visit__mdtrt_id", "kind", "key",
                                                                    "delta")),
        "accounts": digest(PersonalAccount.objects.values_list("person__psn_no", "balance")),
        "movements": digest(AccountMovement.objects.values_list("settlement__visit__mdtrt_id", "amount",
                                                                "balance_after", "kind")),
    }


@pytest.fixture
def broker(transactional_db):
    yield from use_broker()


@pytest.mark.slow
def test_a_worker_killed_mid_chunk_leaves_a_job_that_finishes_by_itself(transactional_db, broker):
    call_command("import_policy", str(PACK))
    call_command("synth_city", "--persons", "300", "--institutions", "6", "--days", "1", "--visits-per-day", "300",
                 "--seed", "15", "--start-date", DAY.isoformat(), "--catalog-items", "400")
    with transaction.atomic():  # the clean run, in this process, rolled back
        clean = daily.run_day(DAY, chunks=CHUNKS)
        assert clean.status == JobStatus.DONE and clean.visits_settled > 200
        expected, settled = money(), Settlement.objects.count()
        transaction.set_rollback(True)

    job, _ = daily.create_job(DAY, chunks=CHUNKS)
    # Settlements locked: the first chunk to run is claimed, then waits inside its transaction.
    blocker = Blocker("LOCK TABLE claims_settlement IN ACCESS EXCLUSIVE MODE")
    first = Worker()
    try:
        for chunk_id in job.chunks.values_list("pk", flat=True):
            assert tasks.send_chunk(chunk_id)
        wait_for(lambda: job.chunks.filter(status=JobStatus.RUNNING).exists(), 120, "a running chunk", first)
        first.kill()
    finally:
        blocker.release()
        first.stop()
    killed = job.chunks.get(status=JobStatus.RUNNING)
    assert killed.attempts == 1 and not Settlement.objects.exists()  # the killed chunk wrote nothing

    second = Worker()
    try:
        # the killed task comes back from the broker (visibility timeout) and waits for the lease to lapse; the
        # sweeper, run here as beat would, sends the lapsed chunk again as well (a duplicate without effect)
        def finished() -> bool:
            tasks.sweep_jobs()
            return DailyJob.objects.filter(pk=job.pk, status__in=[JobStatus.DONE, JobStatus.FAILED]).exists()
        wait_for(finished, 120, "the job to finish", second)
    finally:
        output = second.stop()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, f"{job.status} {job.error} {output}"
    assert job.chunks_done == CHUNKS and job.visits_settled == clean.visits_settled
    killed.refresh_from_db()
    assert killed.status == JobStatus.DONE and killed.attempts >= 2 and killed.lease_owner == ""
    assert Settlement.objects.count() == settled
    assert money() == expected
    assert not DailyJobChunk.objects.exclude(status=JobStatus.DONE).exists()
