"""The night agrees with the counter: every shared case file replayed through the nightly job (each visit's upload
dated on its discharge day, the job run for each day in order) stores the same settlements, to the fen, as the
services settling the visits one by one (claims.cases.run_case)."""
import pytest
from django.db import connection, transaction
from django.utils import timezone

from claims.batch import jobs as daily
from claims.cases import load_reference_data, local, run_case
from claims.intake.services import discharge_visit, register_visit, upload_fee_lines
from claims.models import JobStatus, Upload
from insurance.models import Institution
from tests.claims.batch.snapshots import settled_snapshot
from tests.claims.conftest import CASES, case_doc

CASE_FILES = sorted(p.name for p in CASES.glob("*.json"))


def replay_nightly(doc: dict, chunks: int = 2) -> list:
    """Load a case file and settle it with the nightly job: register, upload (dated on the discharge day) and
    discharge every visit, then run the job for every discharge day in order. Returns the jobs."""
    load_reference_data(doc)
    institutions = {i.fixmedins_code: i for i in Institution.objects.all()}
    days = set()
    for v in doc["visits"]:
        visit = register_visit(institution=institutions[v["fixmedins_code"]], psn_no=v["psn_no"],
                               med_type=v["med_type"], begntime=local(v["begntime"]), mdtrt_id=v["mdtrt_id"],
                               dise_codg=v.get("dise_codg") or "", matn_type=v.get("matn_type") or "")
        upload = upload_fee_lines(visit, v["lines"], source="case")["upload"]
        end = local(v["endtime"])
        discharge_visit(visit, endtime=end)
        Upload.objects.filter(pk=upload.pk).update(created_at=end)
        days.add(timezone.localdate(end))
    return [daily.run_day(day, chunks=chunks) for day in sorted(days)]


@pytest.mark.django_db
@pytest.mark.parametrize("name", CASE_FILES)
def test_a_case_file_settles_the_same_at_night_as_at_the_counter(settings, name):
    night_agrees_with_counter(settings, case_doc(name))


def night_agrees_with_counter(settings, doc: dict) -> None:
    """The case file settled at the counter (matching the file) and replayed at night store the same."""
    assert connection.vendor == "postgresql"
    settings.DAILY_JOB_BULK = True
    with transaction.atomic():
        result = run_case(doc)
        assert result.differences == []  # the counter agrees with the file
        counter = settled_snapshot()
        transaction.set_rollback(True)
    jobs = replay_nightly(doc)
    assert all(j.status == JobStatus.DONE for j in jobs)
    night = settled_snapshot()
    assert len(night["settlements"]) == len(doc["visits"])
    assert night == counter

