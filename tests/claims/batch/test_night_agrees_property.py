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
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from claims.models import QuarantinedVisit
from tests.claims.batch.days import (
    CATALOG_CODES,
    DAYS,
    INSTITUTIONS,
    PERSONS,
    UNCATALOGUED,
    at_night,
    at_the_counter,
    in_rollback,
)

SETTINGS = settings(max_examples=20, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large])


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


def night_without_quarantine(day: dict) -> dict:
    snapshot = at_night(day)
    assert not QuarantinedVisit.objects.exists()
    return snapshot


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
    assert in_rollback(night_without_quarantine, day) == counter


@pytest.mark.django_db
@SETTINGS
@given(day=days_of_visits())
@example(day=ONLY_UNCATALOGUED)
@example(day=LEADING_ZEROS)
def test_the_night_agrees_with_the_counter_on_generated_days(settings, day):
    settings.DAILY_JOB_BULK = True
    counter = in_rollback(at_the_counter, day)
    assert len(counter["settlements"]) == len(day["visits"])
    assert in_rollback(night_without_quarantine, day) == counter
