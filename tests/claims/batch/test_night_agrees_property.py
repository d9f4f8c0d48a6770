"""The night agrees with the counter on generated days: persons, visits and lines drawn by hypothesis, settled once
through the services visit by visit (in settlement order) and once through the nightly job (each visit's upload
dated on its discharge day, the job run for each day in order), store the same money rows to the fen.

The days lean on what broke the night before: visits whose every line is outside the catalog, a single visit in a
chunk, codes with leading zeros (region 000000, psn_no 000123 beside 123, catalog code 0012 beside 12, feedetl_sn
01 beside 1), stays across the new year (two yearly packs), several visits of one person on one day.
"""
import copy
import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from claims.batch import jobs as daily
from claims.cases import load_reference_data, local
from claims.models import JobStatus, Upload
from claims.services import discharge_visit, register_visit, settle_visit, upload_fee_lines
from insurance.models import Institution
from policy_rules.models import CatalogItem
from policy_rules.services import import_policy_pack
from tests.claims.batch.snapshots import settled_snapshot
from tests.claims.conftest import case_doc

BASE = case_doc("01-employee-inpatient-tertiary.json")
EXTRA_CATALOG = [{"code": "0012", "name": "前导零项目", "chrg_lv": "01"},
                 {"code": "12", "name": "同号项目", "chrg_lv": "02", "price_limit": "5.00"}]
CATALOG_CODES = [c["code"] for c in BASE["catalog"] + EXTRA_CATALOG]
UNCATALOGUED = ["NOT-LISTED-1", "0099", "99"]
PERSONS = [  # psn_no, insutype, psn_type, gender, birth date, account
    ("000123", "310", "in_service", "1", "1970-05-01", "1200.00"),
    ("123", "390", "resident_adult", "2", "1958-02-03", "0"),
    ("P0001", "310", "retired", "2", "1950-11-30", "300.00"),
]
INSTITUTIONS = [("H00000000001", 3, True), ("H41080000002", 2, True), ("H00000000010", 1, True),
                ("H41080000005", 1, False)]
DAYS = [dt.datetime(2026, 3, 10, 8), dt.datetime(2026, 3, 11, 9), dt.datetime(2026, 12, 30, 9)]

SETTINGS = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large])


def pack(region: str, year: int) -> dict:
    doc = copy.deepcopy(BASE["policy"])
    doc.update(code=f"GEN-{year}", region=region, effective_from=f"{year}-01-01", effective_to=f"{year}-12-31")
    return doc


@st.composite
def lines_of(draw, only_uncatalogued: bool):
    codes = UNCATALOGUED if only_uncatalogued else CATALOG_CODES + UNCATALOGUED[:1]
    n = draw(st.integers(1, 4))
    sns = draw(st.lists(st.sampled_from(["1", "01", "2", "002", "10"]), min_size=n, max_size=n, unique=True))
    out = []
    for sn in sns:
        cnt = draw(st.sampled_from(["1", "2", "3", "0.5"]))
        pric = draw(st.sampled_from(["1.50", "12.00", "45.00", "300.00", "1500.00"]))
        amount = f"{float(cnt) * float(pric):.2f}"
        out.append({"feedetl_sn": sn, "med_list_codg": draw(st.sampled_from(codes)), "cnt": cnt, "pric": pric,
                    "det_item_fee_sumamt": amount})
    return out


@st.composite
def days_of_visits(draw):
    """A case-format document (without expectations) of one to five visits."""
    region = draw(st.sampled_from(["000000", "410800", "001200"]))
    persons = draw(st.lists(st.sampled_from(PERSONS), min_size=1, max_size=3, unique_by=lambda p: p[0]))
    visits = []
    for p in persons:
        for k in range(draw(st.integers(1, 2))):
            begin = draw(st.sampled_from(DAYS)) + dt.timedelta(hours=k)
            # hours on the same day (several visits of one person on one day), or days (a stay across the year)
            stay = draw(st.sampled_from([dt.timedelta(minutes=30 + k), dt.timedelta(hours=2, minutes=k),
                                         dt.timedelta(days=4, minutes=k)]))
            inst = draw(st.sampled_from(INSTITUTIONS))
            visits.append({
                "mdtrt_id": f"{len(visits):05d}", "psn_no": p[0], "fixmedins_code": inst[0],
                "med_type": "21" if stay.days else draw(st.sampled_from(["11", "21"])),
                "begntime": begin.isoformat(), "endtime": (begin + stay).isoformat(),
                "lines": draw(lines_of(only_uncatalogued=draw(st.sampled_from([True, False, False])))),
            })
    chunks = draw(st.sampled_from([1, 2, 3]))
    return {"region": region, "persons": persons, "visits": visits, "chunks": chunks}


def load(day: dict) -> None:
    """Two yearly packs of the day's region, their catalogs, the institutions and persons."""
    doc = copy.deepcopy(BASE)
    doc.update(policy=pack(day["region"], 2026), catalog=BASE["catalog"] + EXTRA_CATALOG, visits=[],
               institutions=[{"fixmedins_code": c, "name": c, "level": str(lv), "designated": d}
                             for c, lv, d in INSTITUTIONS],
               persons=[{"psn_no": n, "name": n, "gender": g, "birth_date": b, "insutype": t, "psn_type": pt,
                         "enrolled_from": "2020-01-01", "enrolled_to": None, "paid_through": "2027-12",
                         "assistance_category": None, "acct_balance": acct, "ytd": {}}
                        for n, t, pt, g, b, acct in day["persons"]])
    load_reference_data(doc)
    later = import_policy_pack(pack(day["region"], 2027), source_name="next year")
    CatalogItem.objects.bulk_create([
        CatalogItem(**{**{f.attname: getattr(item, f.attname) for f in CatalogItem._meta.concrete_fields
                          if not f.primary_key},
                       "effective_from": later.effective_from, "effective_to": later.effective_to})
        for item in CatalogItem.objects.all()])

def register(day: dict) -> dict:
    """Register, upload and discharge every visit (each upload dated on its discharge day)."""
    institutions = {i.fixmedins_code: i for i in Institution.objects.all()}
    visits = {}
    for v in day["visits"]:
        visit = register_visit(institution=institutions[v["fixmedins_code"]], psn_no=v["psn_no"],
                               med_type=v["med_type"], begntime=local(v["begntime"]), mdtrt_id=v["mdtrt_id"])
        upload = upload_fee_lines(visit, v["lines"], source="generated")["upload"]
        visits[v["mdtrt_id"]] = discharge_visit(visit, endtime=local(v["endtime"]))
        Upload.objects.filter(pk=upload.pk).update(created_at=local(v["endtime"]))
    return visits


def at_the_counter(day: dict) -> dict:
    load(day)
    visits = register(day)
    for v in sorted(day["visits"], key=lambda v: (v["endtime"], v["mdtrt_id"])):
        settle_visit(visits[v["mdtrt_id"]], setl_time=local(v["endtime"]), reason="counter")
    return settled_snapshot()


def at_night(day: dict) -> dict:
    load(day)
    register(day)
    for run_date in sorted({timezone.localdate(local(v["endtime"])) for v in day["visits"]}):
        job = daily.run_day(run_date, chunks=day["chunks"])
        assert job.status == JobStatus.DONE, job.error
    return settled_snapshot()


def in_rollback(fn, day):
    with transaction.atomic():
        out = fn(day)
        transaction.set_rollback(True)
    return out


ONLY_UNCATALOGUED = {"region": "410800", "persons": [PERSONS[0]], "chunks": 1, "visits": [
    {"mdtrt_id": "00000", "psn_no": "000123", "fixmedins_code": "H41080000002", "med_type": "11",
     "begntime": "2026-03-10T08:00:00", "endtime": "2026-03-10T08:30:00",
     "lines": [{"feedetl_sn": "1", "med_list_codg": "NOT-LISTED-1", "cnt": "1", "pric": "12.00",
                "det_item_fee_sumamt": "12.00"}]}]}
LEADING_ZEROS = {**copy.deepcopy(ONLY_UNCATALOGUED), "region": "000000", "persons": [PERSONS[0], PERSONS[1]]}
LEADING_ZEROS["visits"][0]["lines"][0]["med_list_codg"] = "0012"
LEADING_ZEROS["visits"].append({**LEADING_ZEROS["visits"][0], "mdtrt_id": "00001", "psn_no": "123",
                                "lines": [{"feedetl_sn": "01", "med_list_codg": "12", "cnt": "2", "pric": "12.00",
                                           "det_item_fee_sumamt": "24.00"}]})
ACROSS_THE_YEAR = {**copy.deepcopy(LEADING_ZEROS), "region": "410800", "chunks": 2}
ACROSS_THE_YEAR["visits"][0].update(begntime="2026-12-30T09:00:00", endtime="2027-01-03T09:00:00")


@pytest.mark.django_db
@pytest.mark.parametrize("day", [ONLY_UNCATALOGUED, LEADING_ZEROS, ACROSS_THE_YEAR],
                         ids=["only-uncatalogued", "leading-zeros", "across-the-year"])
def test_the_night_agrees_with_the_counter_on_the_known_breakers(settings, day):
    settings.DAILY_JOB_BULK = True
    counter = in_rollback(at_the_counter, day)
    assert len(counter["settlements"]) == len(day["visits"])
    assert in_rollback(at_night, day) == counter


@pytest.mark.django_db
@SETTINGS
@given(day=days_of_visits())
@example(day=ONLY_UNCATALOGUED)
@example(day=LEADING_ZEROS)
def test_the_night_agrees_with_the_counter_on_generated_days(settings, day):
    settings.DAILY_JOB_BULK = True
    counter = in_rollback(at_the_counter, day)
    assert len(counter["settlements"]) == len(day["visits"])
    assert in_rollback(at_night, day) == counter
