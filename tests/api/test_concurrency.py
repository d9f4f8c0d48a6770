"""Concurrency against the real PostgreSQL: threads with their own connections, committed data.

- Two visits of one person settled at the same moment leave the person's year exactly as settling
  them one after the other (the person row is locked while their year is read and written).
- The same lines uploaded twice at the same moment are stored once (the visit row is locked).
"""
import threading
import time
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection, transaction

from claims.models import Accumulator, FeeLine, Settlement, SettlementKind, Upload, Visit
from insurance.models import Person, PersonalAccount

from .base import CASE01_LINES, make_person, token_client

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]
D = Decimal
SECOND_LINES = [{"feedetl_sn": str(i), "med_list_codg": "250101001", "cnt": "10", "pric": "100.00",
                 "det_item_fee_sumamt": "1000.00"} for i in range(1, 6)]
AMOUNTS = ("medfee_sumamt", "act_pay_dedc", "hifp_pay", "hifob_pay", "hifmi_pay", "maf_pay", "fund_pay_sumamt",
           "psn_part_amt", "acct_pay", "psn_cash_pay", "balc")


def in_threads(*calls, timeout=120):
    """Run the calls at the same moment, each in its own thread and database connection."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def worker(i, call):
        try:
            barrier.wait(timeout=30)
            results[i] = call()
        except Exception as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a thread is stuck"
    assert not errors, errors
    return results


def register(client, psn_no, begntime, lines, endtime):
    response = client.post("/api/v1/visits/", {"psn_no": psn_no, "med_type": "21", "begntime": begntime},
                           format="json")
    assert response.status_code == 201, response.content
    mdtrt_id = response.json()["mdtrt_id"]
    assert client.post(f"/api/v1/visits/{mdtrt_id}/fee-lines/", {"lines": lines}, format="json").status_code == 200
    assert client.post(f"/api/v1/visits/{mdtrt_id}/discharge/", {"endtime": endtime},
                       format="json").status_code == 200
    return mdtrt_id


def person_with_two_visits(client, psn_no):
    """Nearly at the pool's annual cap, with an account of 1200: the second settlement's numbers
    depend on what the first one left."""
    person = make_person(psn_no)
    Accumulator.objects.create(person=person, year=2026, kind="cap_paid", key="employee_pool",
                               amount=D("179000.00"))
    first = register(client, psn_no, "2026-03-02T09:00:00", CASE01_LINES, "2026-03-10T09:00:00")
    second = register(client, psn_no, "2026-03-03T09:00:00", SECOND_LINES, "2026-03-10T09:00:00")
    return person, first, second


def settle(client, mdtrt_id, setl_time="2026-03-10T10:00:00"):
    response = client.post(f"/api/v1/visits/{mdtrt_id}/settle/", {"setl_time": setl_time}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["setlinfo"]


def year_of(person):
    return ({(a.year, a.kind, a.key): a.amount for a in Accumulator.objects.filter(person=person)},
            PersonalAccount.objects.get(person=person).balance)


def test_two_visits_of_one_person_settled_at_once_equal_one_after_the_other(world):
    staff = token_client(world.staff_token_a)
    racer, r1, r2 = person_with_two_visits(staff, "P7001")
    twin, t1, t2 = person_with_two_visits(staff, "P7002")

    in_threads(lambda: settle(token_client(world.staff_token_a), r1),
               lambda: settle(token_client(world.staff_token_a), r2))

    # the order the locks gave them, replayed one at a time for the twin
    order = list(Settlement.objects.filter(person=racer, kind=SettlementKind.SETTLEMENT)
                 .order_by("pk").values_list("visit__mdtrt_id", flat=True))
    assert sorted(order) == sorted([r1, r2])
    twin_of = {r1: t1, r2: t2}
    for mdtrt_id in order:
        settle(staff, twin_of[mdtrt_id])

    raced = {s.visit.mdtrt_id: s for s in Settlement.objects.filter(person=racer).select_related("visit")}
    serial = {s.visit.mdtrt_id: s for s in Settlement.objects.filter(person=twin).select_related("visit")}
    for mdtrt_id in (r1, r2):
        assert {f: getattr(raced[mdtrt_id], f) for f in AMOUNTS} == {
            f: getattr(serial[twin_of[mdtrt_id]], f) for f in AMOUNTS}
    assert year_of(racer) == year_of(twin)
    accumulators, balance = year_of(racer)
    # the cap was shared, not paid twice, and the account was spent once
    assert accumulators[(2026, "cap_paid", "employee_pool")] == D("180000.00")
    assert sum(s.hifp_pay for s in raced.values()) == D("1000.00")
    assert sum(s.acct_pay for s in raced.values()) == D("1200.00") and balance == D("0.00")
    assert accumulators[(2026, "admissions", "")] == D("2")


def test_the_same_lines_uploaded_twice_at_once_are_stored_once(world):
    client = token_client(world.token_a)
    response = client.post("/api/v1/visits/", {"psn_no": "P0001", "med_type": "21",
                                                "begntime": "2026-03-02T09:00:00"}, format="json")
    mdtrt_id = response.json()["mdtrt_id"]
    lines = [{"feedetl_sn": str(i), "med_list_codg": "250101001", "cnt": "1", "pric": "25.00",
              "det_item_fee_sumamt": "25.00"} for i in range(300)]

    def upload():
        response = token_client(world.token_a).post(f"/api/v1/visits/{mdtrt_id}/fee-lines/", {"lines": lines},
                                                    format="json")
        return response.status_code, response.json()

    results = in_threads(upload, upload)
    assert [status for status, _ in results] == [200, 200]
    assert sorted((body["created"], body["unchanged"]) for _, body in results) == [(0, 300), (300, 0)]
    assert FeeLine.objects.filter(visit__mdtrt_id=mdtrt_id).count() == 300
    assert FeeLine.objects.filter(visit__mdtrt_id=mdtrt_id).values("feedetl_sn").distinct().count() == 300
    assert sorted(Upload.objects.filter(lines__visit__mdtrt_id=mdtrt_id).distinct()
                  .values_list("line_count", flat=True)) == [300]


def held_lock(lock_rows, release: threading.Event, locked: threading.Event):
    """In its own thread: lock rows in a transaction until `release` is set."""
    try:
        with transaction.atomic():
            lock_rows()
            locked.set()
            release.wait(30)
    finally:
        connection.close()


@pytest.mark.parametrize("what", ["upload", "settle"])
def test_the_service_waits_for_the_row_lock(world, what):
    """Upload locks the visit row, settlement the person row: each waits while another holds it."""
    staff = token_client(world.staff_token_a)
    mdtrt_id = register(staff, "P0001", "2026-03-02T09:00:00", CASE01_LINES[:2], "2026-03-10T09:00:00")
    visit = Visit.objects.get(mdtrt_id=mdtrt_id)
    if what == "upload":
        def lock_rows():
            list(Visit.objects.select_for_update().filter(pk=visit.pk))

        def act():
            return token_client(world.token_a).post(f"/api/v1/visits/{mdtrt_id}/fee-lines/",
                                                    {"lines": CASE01_LINES}, format="json").status_code
    else:
        def lock_rows():
            list(Person.objects.select_for_update().filter(pk=visit.person_id))

        def act():
            return token_client(world.staff_token_a).post(f"/api/v1/visits/{mdtrt_id}/settle/",
                                                          {"setl_time": "2026-03-10T10:00:00"},
                                                          format="json").status_code

    release, locked, finished = threading.Event(), threading.Event(), threading.Event()
    outcome = {}

    def acting():
        try:
            outcome["status"] = act()
        finally:
            finished.set()
            connection.close()

    holder = threading.Thread(target=held_lock, args=(lock_rows, release, locked))
    holder.start()
    assert locked.wait(30)
    actor = threading.Thread(target=acting)
    actor.start()
    time.sleep(1.0)
    assert not finished.is_set(), f"{what} did not wait for the lock"
    release.set()
    holder.join(30)
    actor.join(60)
    assert finished.is_set() and outcome["status"] in (200, 201)
    close_old_connections()
