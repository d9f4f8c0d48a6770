"""One visit cannot stop a night: a visit forced past the edge (written directly to its table) with a date pandas
cannot hold, a fee total no settlement column can hold, or data the engine raises on, is quarantined with its
reason, and the rest of its day settles to the fen as it settles without it. Once the data is fixed, the next night
settles it, and the whole comes out as at the counter."""
import copy
import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from claims.batch import chunk as bulk
from claims.batch import jobs as daily
from claims.cases import local
from claims.models import FeeLine, JobStatus, QuarantinedVisit, QuarantineReason, Visit, VisitStatus
from insurance.models import Enrollment, Person
from review.models import AuditHit
from tests.claims.batch.days import PERSONS, at_the_counter, in_rollback, load, register
from tests.claims.batch.snapshots import settled_snapshot

DAY = dt.date(2026, 3, 10)
POISONED = "P9"


def visit(mdtrt_id, psn_no, code, hour, lines):
    begin = dt.datetime(2026, 3, 10, hour)
    return {"mdtrt_id": mdtrt_id, "psn_no": psn_no, "fixmedins_code": "H00000000001", "med_type": "21",
            "begntime": begin.isoformat(), "endtime": (begin + dt.timedelta(hours=2)).isoformat(),
            "lines": [{"feedetl_sn": str(i), "med_list_codg": c, "cnt": "2", "pric": p, "det_item_fee_sumamt": a}
                      for i, (c, p, a) in enumerate(lines, 1)]}


GOOD_VISITS = [
    visit("00001", "000123", "H00000000001", 8, [("XA01ABD075A002010100483", "450.00", "900.00"),
                                                 ("0012", "12.00", "24.00")]),
    visit("00002", "000123", "H00000000001", 11, [("XC09AAL055A001010101475", "600.00", "1200.00")]),
    visit("00003", "123", "H00000000001", 9, [("NOT-LISTED-1", "45.00", "90.00")]),  # only uncatalogued: settles
    visit("00004", "123", "H00000000001", 13, [("12", "6.00", "12.00"), ("250101001", "30.00", "60.00")]),
]
POISON_VISIT = visit(POISONED, "P0001", "H00000000001", 10, [("XA01ABD075A002010100483", "300.00", "600.00"),
                                                            ("250101001", "5.00", "10.00")])
DAY_OF = {"region": "000000", "persons": PERSONS, "chunks": 2, "visits": GOOD_VISITS + [POISON_VISIT]}
WITHOUT = {**DAY_OF, "visits": GOOD_VISITS}


def _visit():
    return Visit.objects.filter(mdtrt_id=POISONED)


def _lines():
    return FeeLine.objects.filter(visit__mdtrt_id=POISONED)


def _person():
    return Person.objects.filter(psn_no="P0001")


# kind → (how the visit is poisoned, the reason and field it is quarantined with)
POISONS = {
    "begntime-year-436": (lambda: _visit().update(begntime=dt.datetime(436, 3, 1, tzinfo=dt.UTC)),
                          QuarantineReason.DATE_OUT_OF_RANGE, "begntime"),
    "fee-time-year-2797": (lambda: _lines().update(fee_ocur_time=dt.datetime(2797, 1, 1, tzinfo=dt.UTC)),
                           QuarantineReason.DATE_OUT_OF_RANGE, "fee_ocur_time"),
    "birth-date-year-436": (lambda: _person().update(birth_date=dt.date(436, 1, 1)),
                            QuarantineReason.DATE_OUT_OF_RANGE, "birth_date"),
    "enrolled-to-9999": (lambda: Enrollment.objects.filter(person__psn_no="P0001").update(
        enrolled_to=dt.date(9999, 12, 31)), QuarantineReason.DATE_OUT_OF_RANGE, "enrollment"),
    "huge-amount": (lambda: _lines().update(cnt=Decimal("1"), pric=Decimal("999999999999.99"),
                                            det_item_fee_sumamt=Decimal("999999999999.99")),
                    QuarantineReason.AMOUNT_OUT_OF_RANGE, "det_item_fee_sumamt"),
    # at fault on two counts, one of the visit's and one of its lines' (checked apart: quarantine.set_aside, then
    # set_aside_lines), or two of its lines': the first of (kind, field) is the reason, as when one query found both
    "begntime-and-fee-time": (lambda: (_visit().update(begntime=dt.datetime(436, 3, 1, tzinfo=dt.UTC)),
                                       _lines().update(fee_ocur_time=dt.datetime(2797, 1, 1, tzinfo=dt.UTC))),
                              QuarantineReason.DATE_OUT_OF_RANGE, "begntime"),
    "fee-time-and-huge-amount": (lambda: _lines().update(fee_ocur_time=dt.datetime(2797, 1, 1, tzinfo=dt.UTC),
                                                         pric=Decimal("999999999999.99"),
                                                         det_item_fee_sumamt=Decimal("999999999999.99")),
                                 QuarantineReason.DATE_OUT_OF_RANGE, "fee_ocur_time"),
}


def _unpoison():
    """What the caseworker fixes: every value back to the one uploaded."""
    _visit().update(begntime=local(POISON_VISIT["begntime"]))
    for sn, (pric, amount) in {"1": ("300.00", "600.00"), "2": ("5.00", "10.00")}.items():
        _lines().filter(feedetl_sn=sn).update(fee_ocur_time=None, cnt=2, pric=Decimal(pric),
                                              det_item_fee_sumamt=Decimal(amount))
    _person().update(birth_date=dt.date(1950, 11, 30))
    Enrollment.objects.filter(person__psn_no="P0001").update(enrolled_to=None)


def _without_poisoned(snapshot: dict) -> dict:
    """The snapshot without the poisoned visit's person (P0001 has only that visit)."""
    out = {}
    for key, rows in snapshot.items():
        if key == "settlements":
            out[key] = {m: s for m, s in rows.items() if m != POISONED}
        else:
            out[key] = {r for r in rows if r[0] not in (POISONED, "P0001")}
    return out


@pytest.fixture
def night_without_it(settings):
    settings.DAILY_JOB_BULK = True
    assert connection.vendor == "postgresql"

    def run(day):
        load(day)
        register(day)
        assert daily.run_day(DAY, chunks=day["chunks"]).status == JobStatus.DONE
        return settled_snapshot()

    return _without_poisoned(in_rollback(run, WITHOUT))


@pytest.mark.django_db
@pytest.mark.parametrize("kind", POISONS)
def test_a_poisoned_visit_is_quarantined_and_its_day_settles(night_without_it, kind):
    poison, reason, field = POISONS[kind]
    counter = in_rollback(at_the_counter, DAY_OF)
    load(DAY_OF)
    register(DAY_OF)
    poison()
    job = daily.run_day(DAY, chunks=DAY_OF["chunks"])
    assert job.status == JobStatus.DONE and job.chunks_done == job.chunks_total
    assert job.visits_settled == len(GOOD_VISITS) and job.visits_quarantined == 1 and job.visits_held == 0
    q = QuarantinedVisit.objects.get()
    assert (q.visit.mdtrt_id, q.job_id, q.reason, q.field, q.resolved_at) == (POISONED, job.pk, reason, field, None)
    assert _visit().get().status == VisitStatus.DISCHARGED
    assert _without_poisoned(settled_snapshot()) == night_without_it

    # fixed, the next night settles it, and the two nights together store what the counter stores
    _unpoison()
    later = daily.run_day(DAY + dt.timedelta(days=1), chunks=DAY_OF["chunks"])
    assert (later.visits_settled, later.visits_quarantined) == (1, 0)
    assert _visit().get().status == VisitStatus.SETTLED
    assert QuarantinedVisit.objects.get().resolved_at is not None
    assert settled_snapshot() == counter


@pytest.mark.django_db
def test_an_engine_error_is_isolated_by_halves(settings, monkeypatch, night_without_it):
    """Data that passes the checks but makes the engine raise: the chunk is retried in halves by person until the
    visit is found, and the rest of the chunk lands, audited (with the default rules) half by half."""
    call_command("load_default_rules")
    load(DAY_OF)
    register(DAY_OF)
    adjudicate = bulk.adjudicate

    def failing(**frames):
        if POISONED in set(frames["visits"]["mdtrt_id"]):
            raise ValueError("the engine cannot settle this visit")
        return adjudicate(**frames)

    monkeypatch.setattr(bulk, "adjudicate", failing)
    job = daily.run_day(DAY, chunks=1)  # all persons in one chunk: two rounds of halves
    assert job.status == JobStatus.DONE and job.visits_quarantined == 1
    q = QuarantinedVisit.objects.get()
    assert (q.visit.mdtrt_id, q.reason) == (POISONED, QuarantineReason.ENGINE_ERROR)
    assert q.detail == "ValueError: the engine cannot settle this visit"
    assert _without_poisoned(settled_snapshot()) == night_without_it
    assert AuditHit.objects.filter(settlement__daily_job=job).exists()


@pytest.mark.django_db
def test_an_error_of_every_visit_fails_the_chunk(settings, monkeypatch):
    """A fault that is not one visit's (every person fails) is not quarantined away: the chunk fails whole."""
    settings.DAILY_JOB_BULK = True
    load(DAY_OF)
    register(DAY_OF)

    def failing(**frames):
        raise ValueError("a bug of the engine")

    monkeypatch.setattr(bulk, "adjudicate", failing)
    with pytest.raises(ValueError, match="a bug of the engine"):
        daily.run_day(DAY, chunks=1)
    assert not QuarantinedVisit.objects.exists()
    assert not Visit.objects.filter(status=VisitStatus.SETTLED).exists()


@pytest.mark.django_db
def test_a_day_with_a_poisoned_visit_alone_in_its_chunk(settings):
    """The poisoned visit's chunk holds nothing else: it is quarantined, the chunk is done with nothing settled."""
    settings.DAILY_JOB_BULK = True
    day = copy.deepcopy(DAY_OF)
    load(day)
    register(day)
    POISONS["begntime-year-436"][0]()
    job = daily.run_day(DAY, chunks=8)
    assert job.status == JobStatus.DONE and job.visits_quarantined == 1
    assert job.visits_settled == len(GOOD_VISITS)
