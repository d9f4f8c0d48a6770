"""frames.enrollments_in_force: the one rule for the enrollment a visit is settled under (both readers call it)."""
import datetime as dt

import pandas as pd

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
