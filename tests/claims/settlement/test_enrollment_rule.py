"""frames.enrollments_in_force: the one rule for the enrollment a visit is settled under (both readers call it)."""
import datetime as dt

import pandas as pd
from django.utils import timezone

from claims.models import Visit
from claims.settlement.loading import _chosen_records, _frame_records
from policy_rules.engine.frames import ENROLLMENT_COLUMNS, enrollments_in_force

ENROLLMENTS = pd.DataFrame([
    (1, 10, "310", "in_service", dt.date(2020, 1, 1), None, "2026-12", ""),
    (2, 10, "390", "resident", dt.date(2025, 1, 1), dt.date(2025, 12, 31), None, "low_income"),
    (3, 10, "310", "retiree", dt.date(2025, 1, 1), None, "2026-01", ""),
    (4, 20, "390", "resident", dt.date(2026, 1, 1), None, None, ""),
], columns=ENROLLMENT_COLUMNS)


def chosen(*visits):
    frame = pd.DataFrame(visits, columns=["person_id", "begin_date", "enrollment_id"])
    return enrollments_in_force(frame, ENROLLMENTS)


def test_latest_start_then_latest_id_among_those_covering_the_day():
    out = chosen((10, dt.date(2025, 6, 1), -1), (10, dt.date(2026, 6, 1), -1), (10, dt.date(2022, 6, 1), -1))
    assert out["psn_type"].tolist() == ["retiree", "retiree", "in_service"]


def test_the_enrollment_registered_with_the_visit_wins_whatever_its_dates():
    out = chosen((10, dt.date(2019, 1, 1), 2))
    assert out.loc[0, "insutype"] == "390" and out.loc[0, "assistance_category"] == "low_income"


def test_none_in_force_leaves_the_visit_unenrolled():
    out = chosen((20, dt.date(2025, 6, 1), -1), (30, dt.date(2026, 1, 1), -1))
    assert out["insutype"].tolist() == ["", ""]
    assert out["enrolled_from"].isna().all() and out["paid_through"].isna().all()


def test_bounds_are_inclusive():
    out = chosen((10, dt.date(2025, 12, 31), -1), (20, dt.date(2026, 1, 1), -1))
    assert out["psn_type"].tolist() == ["retiree", "resident"]


def test_dates_as_objects_or_datetime64_give_the_same_frame():
    """The readers hand dates as datetime.date (ORM) or datetime64 (COPY): numpy converts the first, pandas the
    second, and the result is the same frame."""
    visits = pd.DataFrame([(10, dt.date(2025, 6, 1), -1), (10, dt.date(2019, 1, 1), 2), (20, dt.date(2025, 6, 1), -1),
                           (20, dt.date(2026, 2, 1), -1)], columns=["person_id", "begin_date", "enrollment_id"])
    as_objects = enrollments_in_force(visits, ENROLLMENTS)
    as_datetime64 = enrollments_in_force(
        visits.assign(begin_date=pd.to_datetime(visits["begin_date"])),
        ENROLLMENTS.assign(enrolled_from=pd.to_datetime(ENROLLMENTS["enrolled_from"]),
                           enrolled_to=pd.to_datetime(ENROLLMENTS["enrolled_to"])))
    pd.testing.assert_frame_equal(as_objects, as_datetime64)
    assert as_objects["enrolled_from"].dtype == "datetime64[ns]"
    assert as_objects["insutype"].tolist() == ["310", "390", "", "390"]
    assert as_objects["assistance_category"].tolist() == ["", "low_income", "", ""]


def test_the_request_readers_choice_on_arrays_gives_the_frames_records():
    """claims.settlement.loading chooses by frames.chosen_enrollments on arrays when the dates are plain: the same
    records (values and types) as through enrollments_in_force's frames, found or not, registered or not."""
    rows = [tuple(None if pd.isna(v) else v for v in r) for r in ENROLLMENTS.itertuples(index=False)]
    rows[1] = (*rows[1][:6], None, None)  # a missing paid_through and assistance_category
    visits = [Visit(pk=i, person_id=person, enrollment_id=registered,
                    begntime=timezone.make_aware(dt.datetime(*day, 10, 30)))
              for i, (person, day, registered) in enumerate([
                  (10, (2025, 6, 1), None), (10, (2019, 1, 1), 2), (20, (2025, 6, 1), None), (20, (2026, 2, 1), None),
                  (30, (2026, 1, 1), None), (10, (2025, 12, 31), None), (20, (2026, 3, 1), 3)])]
    fast = _chosen_records(visits, rows)
    slow = _frame_records(visits, rows)
    assert fast == slow
    assert [[type(v) for v in r.values()] for r in fast] == [[type(v) for v in r.values()] for r in slow]
    assert fast[1]["assistance_category"] == "" and fast[1]["paid_through"] is None
    assert fast[4]["insutype"] == "" and fast[4]["enrolled_from"] is None
    assert fast[0]["enrolled_from"] == dt.datetime(2025, 1, 1)
    assert _chosen_records(visits, [*rows, (9, 40, "310", "x", dt.date(1600, 1, 1), None, None, "")]) is None
    assert _chosen_records(visits, []) == _frame_records(visits, [])
